package dev.stepwise.cli;

import dev.stepwise.harness.Limits;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code --limit NAME=N}: raises one of the safety limits ({@link Limits}) that sizes are checked against before
 * anything is allocated. Every command that has limits takes this one flag; each lists the limits that apply to
 * it in its help (the texts below), and a limit that does not apply is an error.
 */
final class LimitFlag {
    static final String LABEL = "NAME=N";
    private static final String HEAD = "Raise a safety limit, repeatable: ";
    private static final String STEPS = "steps=N (default 10000 steps in a run";
    private static final String THREADS = "threads=N (4 per core, at least 8)";
    private static final String TAIL = ". Sizes past a limit are refused before anything runs.";

    static final String SAMPLE = HEAD + STEPS + ", the whole schedule with --denoise), batch=N (1000000 rows)" + TAIL;
    static final String GENERATE = HEAD + STEPS + "), batch=N (1024 images), " + THREADS + TAIL;
    static final String COMPARE = HEAD + STEPS + " or reference), nfe=N (100000), batch=N (1000000 mixture rows or 1024"
            + " images a cell), threads=N (4 per core, at least 8: --threads and --parallel), cells=N (100000 cells in a plan)" + TAIL;
    static final String ERROR_CURVE = HEAD + "batch=N (1000000 samples per level: --images), threads=N (4 per core, at least"
            + " 8: --threads and --parallel)" + TAIL;
    static final String BENCH_GENERATE = HEAD + STEPS + "), " + THREADS + TAIL;
    static final String BENCH_COMPARE = HEAD + STEPS + " of the reference), threads=N (4 per core, at least 8: --threads"
            + " and --parallel), cells=N (100000)" + TAIL;

    /** Bytes of working memory a run needs per value of its state, roughly: 16 float buffers (see checkMemory). */
    private static final long BYTES_PER_VALUE = 16 * Float.BYTES;

    private LimitFlag() {
    }

    /**
     * The default limits with the given ones raised; messages name {@code --limit}.
     *
     * @param applicable the limits this command has
     */
    static Limits parse(Map<String, String> given, String... applicable) {
        Limits limits = Limits.DEFAULT.raisedBy("--limit");
        List<String> allowed = List.of(applicable);
        for (Map.Entry<String, String> e : given.entrySet()) {
            String name = e.getKey().strip().toLowerCase(Locale.ROOT), text = e.getValue().strip();
            if (!allowed.contains(name)) {
                throw new UsageException("--limit " + e.getKey() + "=" + e.getValue() + ": no such limit here; allowed: "
                        + String.join(", ", allowed));
            }
            long value;
            try {
                value = Long.parseLong(text.replace("_", ""));
            } catch (NumberFormatException ex) {
                throw new UsageException("--limit " + name + "=" + text + " is not allowed; N must be a whole number >= 1");
            }
            try {
                limits = limits.with(name, value);
            } catch (IllegalArgumentException ex) {
                throw new UsageException("--limit " + name + "=" + text + " is not allowed; N must be in 1.."
                        + (name.equals("cells") ? Long.MAX_VALUE : Integer.MAX_VALUE));
            }
        }
        return limits;
    }

    /** Refuses {@code value} of {@code option} past {@code limit}: "--steps 1000000000 is over the limit of 10000 steps; ...". */
    static void check(String option, long value, long limit, String name, String unit, Limits limits) {
        if (value > limit) {
            throw new UsageException(option + " " + value + " is over the limit of " + limit + " " + unit + "; "
                    + limits.raise(name, value));
        }
    }

    /**
     * Refuses a batch whose buffers cannot fit in the memory Java may use, before any is allocated. A run holds
     * about 16 buffers the size of its state (x, the noise, the sampler's own, guidance's cond and uncond rows,
     * the encoded output), so this refuses only what certainly fails; what passes may still run out.
     */
    static void checkMemory(String option, int batch, int valuesPerSample) {
        long needed = (long) batch * valuesPerSample * BYTES_PER_VALUE, max = Runtime.getRuntime().maxMemory();
        if (needed > max) {
            throw new UsageException(option + " " + batch + " of " + valuesPerSample + "-value samples needs about "
                    + gib(needed) + " of memory, more than the " + gib(max) + " Java may use; use a smaller " + option
                    + " or give Java more memory (STEPWISE_JAVA_OPTS=-Xmx" + (needed / (1L << 30) + 2) + "g)");
        }
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
