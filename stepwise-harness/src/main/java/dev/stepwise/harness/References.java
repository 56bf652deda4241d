package dev.stepwise.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.tensor.Tensor;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Converged references: for each prompt (with its negative), cfg and seed, a high-accuracy deterministic solve
 * from the same starting noise (same seed and batch) as the cells, which every cell of that prompt, cfg and
 * seed is measured against. Each is computed once, lazily by the first worker that needs it (the others
 * wait for it rather than solve it again), and cached in the report's {@code references/} folder as
 * {@code <key>.npy}, with {@code <key>.json} recording what it is and how accurate: a second solve at half
 * the steps, whose RMS distance to the full solve is the reference's self-error. That figure overstates the
 * full solve's own error (by about 2^order - 1 = 3 for the default Heun), so it is a safe bound: distances
 * to the reference below it are not resolved.
 */
public final class References {
    private final Path dir;
    private final ModelSource source;
    private final Plan.ReferenceSpec spec;
    private final int batch;
    private final ConcurrentHashMap<String, CompletableFuture<Tensor>> cache = new ConcurrentHashMap<>();

    /**
     * What a cached reference is, as its JSON records it.
     *
     * @param key       the file name's key
     * @param prompt    prompt text
     * @param negative  negative prompt text
     * @param cfg       guidance scale
     * @param seed      noise seed
     * @param steps     steps of the reference solve
     * @param halfSteps steps of the check solve
     * @param selfError RMS distance per value between the two solves
     */
    public record Accuracy(String key, String prompt, String negative, double cfg, long seed, int steps, int halfSteps,
                           double selfError) {
    }

    /**
     * @param dir    the report's references folder (created when missing)
     * @param source the model (its key is part of each reference's key)
     * @param spec   the reference solve: sampler, scheduler, steps (a deterministic sampler)
     * @param batch  rows per cell
     */
    public References(Path dir, ModelSource source, Plan.ReferenceSpec spec, int batch) {
        this.dir = dir;
        this.source = source;
        this.spec = Objects.requireNonNull(spec, "spec");
        this.batch = batch;
    }

    /** The key of a reference: a digest of everything that decides it. */
    public String key(Plan.PromptSpec prompt, double cfg, long seed) {
        return Cell.sha256(String.join("|", source.key(), prompt.prompt(), prompt.negative(), Double.toString(cfg),
                Long.toString(seed), Integer.toString(batch), spec.sampler(), spec.scheduler(),
                Integer.toString(spec.steps()))).substring(0, 24);
    }

    /** The keys of every reference a plan's cells are measured against (a key names its .npy and .json). */
    public Set<String> keys(Plan plan) {
        Set<String> out = new HashSet<>();
        for (Plan.PromptSpec prompt : plan.prompts()) {
            for (double cfg : plan.cfg()) {
                for (long seed : plan.seeds()) {
                    out.add(key(prompt, cfg, seed));
                }
            }
        }
        return out;
    }

    public Path file(String key) {
        return dir.resolve(key + ".npy");
    }

    /**
     * The reference of a prompt, cfg and seed: from memory, from the folder, or solved now with {@code model}
     * (the calling worker's model; its calls are counted in that worker's timer).
     *
     * @throws InterruptedIOException when the thread is interrupted while another worker solves it
     */
    public Tensor get(Model model, Plan.PromptSpec prompt, double cfg, long seed) throws IOException {
        String key = key(prompt, cfg, seed);
        CompletableFuture<Tensor> mine = new CompletableFuture<>();
        CompletableFuture<Tensor> theirs = cache.putIfAbsent(key, mine);
        if (theirs != null) {
            try {
                return theirs.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for reference " + key);
            } catch (ExecutionException e) {
                throw rethrow(e.getCause());
            }
        }
        try {
            Tensor t = loadOrSolve(model, key, prompt, cfg, seed);
            mine.complete(t);
            return t;
        } catch (IOException | RuntimeException | Error e) {
            // A later caller tries again rather than inheriting this failure.
            cache.remove(key, mine);
            mine.completeExceptionally(e);
            throw e;
        }
    }

    /** The recorded self-error of a reference, or NaN when it has not been computed. */
    public double selfError(Plan.PromptSpec prompt, double cfg, long seed) throws IOException {
        Path json = dir.resolve(key(prompt, cfg, seed) + ".json");
        try {
            return accuracy(CellStore.parse(Files.readAllBytes(json))).selfError();
        } catch (NoSuchFileException e) {
            return Double.NaN;
        }
    }

    /** The accuracy records of every cached reference in a references folder (none when it is missing). */
    public static List<Accuracy> readAll(Path referencesDir) throws IOException {
        List<Accuracy> out = new ArrayList<>();
        if (!Files.isDirectory(referencesDir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(referencesDir, "[!.]*.json")) {
            for (Path f : files) {
                try {
                    out.add(accuracy(CellStore.parse(Files.readAllBytes(f))));
                } catch (IOException | RuntimeException e) {
                    throw new IOException("cannot read reference record " + f + ": " + e.getMessage(), e);
                }
            }
        }
        out.sort((a, b) -> a.key().compareTo(b.key()));
        return out;
    }

    private Tensor loadOrSolve(Model model, String key, Plan.PromptSpec prompt, double cfg, long seed)
            throws IOException {
        Path npy = file(key), json = dir.resolve(key + ".json");
        if (Files.isRegularFile(npy) && Files.isRegularFile(json)) {
            try {
                Tensor t = Npy.read(npy);
                if (t.batch() == batch && t.rowSize() == model.sampleSize()) {
                    return t;
                }
            } catch (IOException e) {
                // A damaged cache file is solved again and replaced.
            }
        }
        Tensor full = solve(model, prompt, cfg, seed, spec.steps());
        int halfSteps = Math.max(1, spec.steps() / 2);
        Tensor half = solve(model, prompt, cfg, seed, halfSteps);
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("key", key);
        o.put("model", source.key());
        o.put("prompt", prompt.prompt());
        o.put("negative", prompt.negative());
        o.set("cfg", CellStore.number(cfg));
        o.put("seed", seed);
        o.put("batch", batch);
        o.put("sampler", spec.sampler());
        o.put("scheduler", spec.scheduler());
        o.put("steps", spec.steps());
        o.put("half_steps", halfSteps);
        o.set("self_error", CellStore.number(CellMetrics.rms(full, half)));
        AtomicFiles.createFolder(dir);
        Map<Path, byte[]> files = new LinkedHashMap<>();
        files.put(npy, Npy.encode(full));
        files.put(json, CellStore.json(o));
        AtomicFiles.write(files);
        return full;
    }

    private Tensor solve(Model model, Plan.PromptSpec prompt, double cfg, long seed, int steps) {
        return Stepwise.sample(SampleRequest.builder(model).sampler(spec.sampler()).scheduler(spec.scheduler())
                .steps(steps).cfg(cfg).prompt(source.parse(prompt.prompt(), "reference prompt"))
                .negative(source.parse(prompt.negative(), "reference negative prompt")).seed(seed).batch(batch)
                .build()).samples();
    }

    private static Accuracy accuracy(JsonNode o) {
        return new Accuracy(o.path("key").asText(), o.path("prompt").asText(), o.path("negative").asText(),
                CellStore.toDouble(o.get("cfg"), "cfg"), o.path("seed").asLong(), o.path("steps").asInt(),
                o.path("half_steps").asInt(), CellStore.toDouble(o.get("self_error"), "self_error"));
    }

    private static IOException rethrow(Throwable t) {
        if (t instanceof IOException io) {
            return new IOException(io.getMessage(), io);
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t); // get() above throws only IOException, RuntimeException or Error
    }
}
