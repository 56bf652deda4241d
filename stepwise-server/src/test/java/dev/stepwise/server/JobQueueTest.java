package dev.stepwise.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one queue of generate jobs and compare runs: its bound, its order, cancel, and what a server killed with kill -9 keeps. */
class JobQueueTest {
    @TempDir
    Path data;

    /** A job long enough to be caught running (the tiny model takes well under a millisecond a step). */
    private static final String LONG = "{\"model\": \"tiny-eps\", \"steps\": 200000, \"batch\": 16, \"sampler\": \"euler\"}";
    private static final String SHORT = "{\"model\": \"tiny-eps\", \"prompt\": \"bag\", \"steps\": 3, \"seed\": %d}";

    static JsonNode waitRunning(Http http, String id) throws InterruptedException {
        long end = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < end) {
            JsonNode j = http.get("/api/jobs/" + id).json();
            if (j.get("state").asText().equals("running") && j.has("step") && j.get("step").asInt() > 0) {
                return j;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("job " + id + " never ran");
    }

    /** A server on this test's data folder, with {@code queue} entries allowed to wait and steps enough for LONG. */
    private ServerConfig config(int queue) {
        return ServerConfig.defaults(Http.fixtures(), data).withPort(0).withQueue(queue)
                .withLimits(ServerConfig.LIMITS.with("steps", 1_000_000));
    }

    /** Queues LONG and waits until it runs; its id. */
    private static String startLong(Http http) throws InterruptedException {
        String id = http.post("/api/jobs", LONG).json().get("id").asText();
        assertEquals(200000, waitRunning(http, id).get("steps").asInt());
        return id;
    }

    @Test
    void aFullQueueRefusesWith429AndJobsCancel() throws IOException, InterruptedException {
        try (StepwiseServer s = StepwiseServer.start(config(1))) {
            Http http = new Http(s.port());
            String running = startLong(http);
            Http.Response queued = http.post("/api/jobs", String.format(SHORT, 1));
            assertEquals(202, queued.status(), queued.toString());
            assertEquals(0, queued.json().get("position").asInt());
            Http.Response full = http.post("/api/jobs", String.format(SHORT, 2));
            assertEquals(429, full.status(), full.toString());
            assertEquals("the queue is full (1 jobs and compare runs waiting); try again later", full.json().get("error").asText());
            // A1111's progress shows the running job.
            JsonNode p = http.get("/sdapi/v1/progress").json();
            assertTrue(p.get("progress").asDouble() > 0, p.toString());
            assertEquals(running, p.get("state").get("job").asText());
            assertEquals(2, p.get("state").get("job_count").asInt());
            // Cancel the waiting one at once, interrupt the running one after its step.
            String waiting = queued.json().get("id").asText();
            assertEquals("cancelled", http.post("/api/jobs/" + waiting + "/cancel", "").json().get("state").asText());
            assertEquals(200, http.post("/sdapi/v1/interrupt", "").status());
            JsonNode end = NativeApiTest.waitFor(http, running);
            assertEquals("cancelled", end.get("state").asText(), end.toString());
            assertEquals("cancelled while running", end.get("error").asText());
            JsonNode q = http.get("/api/queue").json();
            assertTrue(q.get("running").isNull() && q.get("waiting").isEmpty(), q.toString());
            // A synchronous request whose job is interrupted gets 409.
            Http.Response[] sync = new Http.Response[1];
            Thread client = new Thread(() -> sync[0] = http.post("/api/generate", LONG.replace("}", ", \"format\": \"json\"}")));
            client.start();
            long until = System.nanoTime() + 60_000_000_000L;
            while (http.get("/api/queue").json().get("running").isNull() && System.nanoTime() < until && client.isAlive()) {
                Thread.sleep(10);
            }
            waitRunning(http, http.get("/api/queue").json().get("running").asText());
            http.post("/sdapi/v1/interrupt", "");
            client.join(60_000);
            assertEquals(409, sync[0].status(), String.valueOf(sync[0]));
        }
    }

    /** A compare run long enough to be caught running: 80 cells of 400 steps. */
    private static final String LONG_COMPARE = "{\"plan\": " + CompareApiTest.plan("1-40", 400) + "}";

    private static List<String> ids(JsonNode array) {
        return array.valueStream().map(JsonNode::asText).toList();
    }

    @Test
    void generateJobsAndCompareRunsWaitInOneQueueWithOneBound() throws IOException, InterruptedException {
        try (StepwiseServer s = StepwiseServer.start(config(2))) {
            Http http = new Http(s.port());
            String running = startLong(http);
            Http.Response compare = http.post("/api/compare", "{\"plan\": " + CompareApiTest.plan("1", 3) + "}");
            assertEquals(202, compare.status(), compare.toString());
            assertEquals(0, compare.json().get("position").asInt());
            Http.Response job = http.post("/api/jobs", String.format(SHORT, 1));
            assertEquals(1, job.json().get("position").asInt(), job.toString());
            String run = compare.json().get("id").asText(), after = job.json().get("id").asText();
            // One bound for both kinds.
            for (String[] more : new String[][] {{"/api/compare", LONG_COMPARE}, {"/api/jobs", String.format(SHORT, 2)}}) {
                Http.Response full = http.post(more[0], more[1]);
                assertEquals(429, full.status(), full.toString());
                assertEquals("the queue is full (2 jobs and compare runs waiting); try again later",
                        full.json().get("error").asText());
            }
            // Every API sees both kinds, in one order.
            JsonNode q = http.get("/api/queue").json();
            assertEquals(running, q.get("running").asText());
            assertEquals(List.of(run, after), ids(q.get("waiting")));
            assertEquals("[\"generate\",\"compare\",\"generate\"]", Http.JSON.valueToTree(
                    q.get("entries").findValuesAsText("kind")).toString());
            assertEquals("/api/compare/" + run, q.get("entries").get(1).get("link").asText());
            JsonNode comfy = http.get("/queue").json();
            assertEquals(running, comfy.get("queue_running").get(0).get(1).asText());
            assertEquals(run, comfy.get("queue_pending").get(0).get(1).asText());
            assertEquals("{}", comfy.get("queue_pending").get(0).get(2).toString());
            assertEquals(3, http.get("/prompt").json().get("status").get("exec_info").get("queue_remaining").asInt());
            assertEquals(3, http.get("/sdapi/v1/progress").json().get("state").get("job_count").asInt());
            // In order: the compare run ends before the job behind it starts.
            http.post("/api/jobs/" + running + "/cancel", "");
            JsonNode ran = CompareApiTest.await(http, run);
            assertEquals("done", ran.get("state").asText(), ran.toString());
            JsonNode next = NativeApiTest.waitFor(http, after);
            assertEquals("done", next.get("state").asText(), next.toString());
            assertTrue(!Instant.parse(next.get("started").asText()).isBefore(Instant.parse(ran.get("finished").asText())),
                    ran + " then " + next);
        }
    }

    @Test
    void aRunningCompareRunShowsInA1111ProgressAndOnlyItsOwnCancelStopsIt() throws IOException, InterruptedException {
        try (StepwiseServer s = StepwiseServer.start(config(ServerConfig.QUEUE))) {
            Http http = new Http(s.port());
            String run = http.post("/api/compare", LONG_COMPARE).json().get("id").asText();
            JsonNode p = null;
            for (long end = System.nanoTime() + 60_000_000_000L; System.nanoTime() < end; Thread.sleep(10)) {
                p = http.get("/sdapi/v1/progress").json();
                if (p.get("progress").asDouble() > 0) {
                    break;
                }
            }
            assertEquals(run, p.get("state").get("job").asText(), p.toString());
            assertEquals(0, p.get("state").get("sampling_steps").asInt());
            assertTrue(p.get("textinfo").asText().matches("compare run " + run + ": \\d+ of 80 cells"), p.toString());
            String job = http.post("/api/jobs", String.format(SHORT, 1)).json().get("id").asText();
            assertEquals(0, http.get("/api/jobs/" + job).json().get("position").asInt());
            // A1111's and ComfyUI's interrupt stop a generate job, not a comparison their clients know nothing of.
            http.post("/sdapi/v1/interrupt", "");
            http.post("/interrupt", "");
            assertEquals("running", http.get("/api/compare/" + run).json().get("state").asText());
            assertEquals(200, http.post("/api/compare/" + run + "/cancel", "").status());
            assertEquals("cancelled", CompareApiTest.await(http, run).get("state").asText());
            assertEquals("done", NativeApiTest.waitFor(http, job).get("state").asText());
        }
    }

    @Test
    void queuedJobsAndCompareRunsComeBackInTheirOrderAtRestart() throws IOException, InterruptedException {
        ServerConfig c = config(ServerConfig.QUEUE);
        String first, run, last;
        try (StepwiseServer s = StepwiseServer.start(c)) {
            Http http = new Http(s.port());
            startLong(http);
            first = http.post("/api/jobs", String.format(SHORT, 1)).json().get("id").asText();
            run = http.post("/api/compare", "{\"plan\": " + CompareApiTest.plan("1", 3) + "}").json().get("id").asText();
            last = http.post("/api/jobs", String.format(SHORT, 2)).json().get("id").asText();
            assertEquals(List.of(first, run, last), ids(http.get("/api/queue").json().get("waiting")));
        }
        try (StepwiseServer s = StepwiseServer.start(c)) {
            Http http = new Http(s.port());
            JsonNode a = NativeApiTest.waitFor(http, first), b = CompareApiTest.await(http, run), z = NativeApiTest.waitFor(http, last);
            for (JsonNode n : List.of(a, b, z)) {
                assertEquals("done", n.get("state").asText(), n.toString());
                assertEquals("queued again at restart", n.get("note").asText());
            }
            assertTrue(!Instant.parse(b.get("started").asText()).isBefore(Instant.parse(a.get("finished").asText())));
            assertTrue(!Instant.parse(z.get("started").asText()).isBefore(Instant.parse(b.get("finished").asText())));
        }
    }

    private static Process start(Path data) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder b = new ProcessBuilder(java, "-Xmx512m", "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), QueueServerMain.class.getName(), Http.fixtures().toString(),
                data.toString());
        b.redirectErrorStream(true);
        return b.start();
    }

    private static int port(Process p) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = r.readLine()) != null; ) {
            if (line.startsWith("PORT ")) {
                Thread drain = new Thread(() -> {
                    try {
                        while (r.readLine() != null) {
                            // keep the pipe from filling
                        }
                    } catch (IOException e) {
                        // the process ended
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return Integer.parseInt(line.substring(5).strip());
            }
        }
        throw new AssertionError("the server process ended before it listened");
    }

    @Test
    void aServerKilledMidQueueKeepsFinishedResultsAndSettlesTheRest() throws Exception {
        Process first = start(data);
        String done, killed;
        List<String> waiting;
        byte[] image;
        try {
            Http http = new Http(port(first));
            done = http.post("/api/jobs", String.format(SHORT, 1)).json().get("id").asText();
            assertEquals("done", NativeApiTest.waitFor(http, done).get("state").asText());
            image = http.get("/api/jobs/" + done + "/images/1").body();
            killed = http.post("/api/jobs", LONG).json().get("id").asText();
            waitRunning(http, killed);
            // A compare run waits in the same queue, between two jobs.
            waiting = List.of(http.post("/api/jobs", String.format(SHORT, 2)).json().get("id").asText(),
                    http.post("/api/compare", "{\"plan\": " + CompareApiTest.plan("1", 3) + "}").json().get("id").asText(),
                    http.post("/api/jobs", String.format(SHORT, 3)).json().get("id").asText());
            assertEquals(waiting, ids(http.get("/api/queue").json().get("waiting")));
        } finally {
            first.destroyForcibly();   // SIGKILL: no shutdown hook, no flush
            first.waitFor();
        }
        Process second = start(data);
        try {
            Http http = new Http(port(second));
            JsonNode kept = http.get("/api/jobs/" + done).json();
            assertEquals("done", kept.get("state").asText());
            assertArrayEquals(image, http.get("/api/jobs/" + done + "/images/1").body());
            JsonNode failed = http.get("/api/jobs/" + killed).json();
            assertEquals("failed", failed.get("state").asText(), failed.toString());
            assertEquals("the server stopped while this job ran; submit it again", failed.get("error").asText());
            assertEquals("failed at restart", failed.get("note").asText());
            Instant previous = Instant.EPOCH;
            for (String id : waiting) {
                JsonNode j = id.equals(waiting.get(1)) ? CompareApiTest.await(http, id) : NativeApiTest.waitFor(http, id);
                assertEquals("done", j.get("state").asText(), j.toString());
                assertEquals("queued again at restart", j.get("note").asText());
                // Each ran after the one before it: the order survives the kill.
                assertTrue(!Instant.parse(j.get("started").asText()).isBefore(previous), j.toString());
                previous = Instant.parse(j.get("finished").asText());
            }
            // Nothing half-written: no temporary file left in the outputs.
            try (Stream<Path> files = Files.walk(data.resolve("outputs"))) {
                assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")));
            }
        } finally {
            second.destroyForcibly();
            second.waitFor();
        }
    }
}
