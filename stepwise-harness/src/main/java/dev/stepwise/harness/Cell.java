package dev.stepwise.harness;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.TreeMap;

/**
 * One unit of work: one sampler configuration at one step count (or NFE budget), scheduler, cfg, prompt
 * and seed; it makes {@code batch} images (rows) of the plan. Its {@link #id()} is stable across runs and
 * machines, so a rerun of the same plan finds the cells already done.
 *
 * @param config the row of the ranking this cell belongs to
 * @param steps  the step count the sampler walks (for an NFE budget: the largest count whose listed NFE fits)
 * @param prompt index into the plan's prompts
 * @param seed   the noise seed
 */
public record Cell(Config config, int steps, int prompt, long seed) {

    /**
     * A configuration: everything but prompt and seed. Summaries aggregate its cells.
     *
     * @param sampler   the sampler configuration
     * @param scheduler the scheduler configuration
     * @param stepAxis  the plan's step-axis value: the step count, or the NFE budget when {@code byNfe}
     * @param byNfe     whether stepAxis is an NFE budget
     * @param cfg       guidance scale
     */
    public record Config(Plan.SamplerSpec sampler, Plan.SchedulerSpec scheduler, int stepAxis, boolean byNfe,
                         double cfg) {
        /** A short human label: "dpmpp_2m / karras / 20 steps / cfg 3". */
        public String label() {
            return sampler.label() + " / " + scheduler.label() + " / " + stepAxis + (byNfe ? " NFE" : " steps")
                    + " / cfg " + plain(cfg);
        }
    }

    /**
     * A file-name-safe id: readable parts and a hash of every field that decides the result or that the
     * cell's JSON records (the labels), so two cells that differ in anything (a parameter, a label, the model's
     * weights, the reference solve, a schedule file's sigmas) never share an id, and a cell file found under its
     * id can be reused as is.
     *
     * @param modelKey  identifies the model (its name and a digest of its files or spec: {@link ModelSource#key()})
     * @param batch     rows per cell
     * @param reference the reference solve the cell is measured against, or null for none
     */
    public String id(String modelKey, int batch, Plan.ReferenceSpec reference) {
        String key = String.join("|", modelKey, config.sampler.name(), new TreeMap<>(config.sampler.parameters()).toString(),
                config.scheduler.name(), new TreeMap<>(config.scheduler.parameters()).toString(),
                Integer.toString(steps), Boolean.toString(config.byNfe), Integer.toString(config.stepAxis),
                Double.toString(config.cfg), Integer.toString(prompt), Long.toString(seed), Integer.toString(batch),
                reference == null ? "no reference" : reference.sampler() + "/" + reference.scheduler() + "/" + reference.steps(),
                config.sampler.label(), config.scheduler.label());
        if (config.scheduler.schedule() != null) {
            // A schedule file: its list (and what else the cell records of it), not its path. Registry schedulers'
            // keys stay as they were, so earlier reports keep their cells.
            key += "|schedule " + sha256(CellStore.json(config.scheduler.schedule().toJson()));
        }
        String readable = (config.sampler.name() + "-" + config.scheduler.name() + "-" + steps + "-p" + prompt + "-s" + seed)
                .replaceAll("[^A-Za-z0-9_.+-]", "_");
        return readable + "-" + sha256(key).substring(0, 12);
    }

    /** The id of a cell measured against no reference solve: {@link #id(String, int, Plan.ReferenceSpec)}. */
    public String id(String modelKey, int batch) {
        return id(modelKey, batch, null);
    }

    /** SHA-256 of the text (UTF-8), in lowercase hex. */
    public static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    /** SHA-256 of a file's content, in lowercase hex, read in pieces (model files may be gigabytes). */
    public static String sha256(Path file) throws IOException {
        MessageDigest digest = sha256();
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** SHA-256 of the bytes, in lowercase hex. */
    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** A number as reports write it: "3", "3.5". */
    public static String plain(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, "%s", v);
    }
}
