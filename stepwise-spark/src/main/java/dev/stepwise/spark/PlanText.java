package dev.stepwise.spark;

import dev.stepwise.harness.Plan;
import dev.stepwise.harness.PlanReader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A plan as the tasks get it: the plan file's text, read again by each executor with the same reader, rather
 * than plan objects serialized by Spark. Relative paths in the plan (a mixture spec, a schedule file) resolve
 * against the plan file's folder, which executors reach on shared storage.
 *
 * @param text    the plan file's bytes
 * @param yaml    whether it is YAML (.yaml, .yml) rather than JSON
 * @param source  the plan file's name as given, which messages and reports show
 * @param baseDir the plan file's folder, absolute
 */
record PlanText(byte[] text, boolean yaml, String source, String baseDir) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The plan file's text, after {@link PlanReader#read} has accepted the file. */
    static PlanText of(Path file, byte[] text) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        return new PlanText(text, !name.endsWith(".json"), file.toString(),
                file.toAbsolutePath().getParent().toString());
    }

    Plan plan() {
        return PlanReader.parse(text, yaml, source, Path.of(baseDir));
    }

    /** Identifies the plan among those an executor JVM has run: its text and where it was read. */
    String key() {
        return source + "|" + baseDir + "|" + new String(text, StandardCharsets.UTF_8);
    }
}
