package dev.stepwise.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.onnx.image.PngInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded load test on loopback with the built-in model: a fixed number of synchronous generate requests from
 * concurrent clients, under a time limit. Every request gets its own image (the seed it asked for), no job is lost or
 * run twice, and the throughput and latencies are printed (README, "Serving over HTTP").
 */
class LoadTest {
    static final int CLIENTS = 8;
    static final int REQUESTS = 48;
    static final int STEPS = 10;

    @TempDir
    Path data;

    @Test
    void concurrentClientsGetEveryJobOnce() throws Exception {
        Path models = Path.of("..", "models").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(models.resolve("fashion-eps/model.json")),
                "the built-in model is not at " + models);
        try (StepwiseServer s = StepwiseServer.start(ServerConfig.defaults(models, data).withPort(0))) {
            Http http = new Http(s.port());
            // one request first: the model is loaded once, not in the timed part
            assertEquals(200, http.post("/api/generate", "{\"steps\": 1}").status());
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            List<Future<long[]>> results = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < REQUESTS; i++) {
                int seed = 1000 + i;
                results.add(pool.submit(() -> {
                    long t0 = System.nanoTime();
                    Http.Response r = http.post("/api/generate", "{\"prompt\": \"sneaker\", \"steps\": " + STEPS
                            + ", \"seed\": " + seed + ", \"scale\": 1}");
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    assertEquals(200, r.status(), r.toString());
                    String info = PngInfo.text(r.body()).get("parameters");
                    assertTrue(info.contains("Seed: " + seed + ","), info);
                    return new long[] {ms, seed};
                }));
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(300, TimeUnit.SECONDS), "the requests did not finish within 300 s");
            double seconds = (System.nanoTime() - start) / 1e9;
            List<Long> latencies = new ArrayList<>();
            Set<Long> seeds = new HashSet<>();
            for (Future<long[]> f : results) {
                long[] r = f.get();
                latencies.add(r[0]);
                seeds.add(r[1]);
            }
            assertEquals(REQUESTS, seeds.size());
            // The store holds each job once: the warm-up plus one per request, all done.
            List<Job> jobs = s.queue.latest(1000);
            assertEquals(REQUESTS + 1, jobs.size());
            assertEquals(REQUESTS + 1, jobs.stream().map(Job::id).distinct().count());
            assertTrue(jobs.stream().allMatch(j -> j.state() == Job.State.done));
            Set<Long> jobSeeds = new HashSet<>();
            jobs.forEach(j -> jobSeeds.add(j.spec().seed()));
            assertTrue(jobSeeds.containsAll(seeds));
            Collections.sort(latencies);
            System.out.printf(Locale.ROOT, "load: %d requests (%d steps each, fashion-eps) from %d clients in %.1f s: %.2f"
                            + " requests/s, latency p50 %d ms, p99 %d ms, max %d ms%n", REQUESTS, STEPS, CLIENTS, seconds,
                    REQUESTS / seconds, latencies.get(REQUESTS / 2), latencies.get((int) Math.ceil(REQUESTS * 0.99) - 1),
                    latencies.get(REQUESTS - 1));
        }
    }
}
