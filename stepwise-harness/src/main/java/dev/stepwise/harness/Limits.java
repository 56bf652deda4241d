package dev.stepwise.harness;

import java.util.List;

/**
 * Safety limits on the sizes a run or a plan may ask for, checked before anything is allocated: a typo such as
 * {@code --steps 1000000000} or {@code seeds: [1-999999, ...]} is then one line naming the value, the limit and
 * how to raise it, rather than an out-of-memory error, a hang or a run of days. Every limit can be raised
 * ({@link #with}; on the command line {@code --limit NAME=N}).
 *
 * @param steps      sampling steps of one run: a plan's step counts and reference steps (and, for {@code sample},
 *                   the whole schedule that {@code --denoise} takes its steps from)
 * @param nfe        a plan's NFE budgets
 * @param batch      rows per run on an analytic mixture
 * @param imageBatch images per run on an image model (each one a row through the network)
 * @param threads    threads a command may start: ONNX Runtime's intra-op threads, cells run at once
 * @param cells      cells of a plan
 * @param flag       how messages say to raise a limit: "--limit" on the command line, null for the Java API
 */
public record Limits(int steps, int nfe, int batch, int imageBatch, int threads, long cells, String flag) {
    /** The limits' names, as {@link #with} and {@code --limit} take them. */
    public static final List<String> NAMES = List.of("steps", "nfe", "batch", "threads", "cells");

    /**
     * The defaults: far above any sensible run (ComfyUI's KSampler allows 10000 steps; 100000 cells are hours of
     * images on a CPU), far below what exhausts memory; threads 4 per core, at least 8 (past the cores, threads only
     * wait: 1024 ONNX Runtime threads on 2 cores made one image take minutes, 100000 hung).
     */
    public static final Limits DEFAULT = new Limits(10_000, 100_000, 1_000_000, 1024,
            Math.max(8, 4 * Runtime.getRuntime().availableProcessors()), 100_000, null);

    public Limits {
        if (steps < 1 || nfe < 1 || batch < 1 || imageBatch < 1 || threads < 1 || cells < 1) {
            throw new IllegalArgumentException("limits must be at least 1: " + this);
        }
    }

    /**
     * These limits with one raised (or lowered): {@code batch} sets both the mixture and the image limit.
     *
     * @throws IllegalArgumentException for an unknown name, or a value below 1 or past the type's range
     */
    public Limits with(String name, long value) {
        long max = name.equals("cells") ? Long.MAX_VALUE : Integer.MAX_VALUE;
        if (value < 1 || value > max) {
            throw new IllegalArgumentException("limit " + name + "=" + value + " is out of range; allowed: 1.." + max);
        }
        int v = (int) Math.min(value, Integer.MAX_VALUE);
        return switch (name) {
            case "steps" -> new Limits(v, nfe, batch, imageBatch, threads, cells, flag);
            case "nfe" -> new Limits(steps, v, batch, imageBatch, threads, cells, flag);
            case "batch" -> new Limits(steps, nfe, v, v, threads, cells, flag);
            case "threads" -> new Limits(steps, nfe, batch, imageBatch, v, cells, flag);
            case "cells" -> new Limits(steps, nfe, batch, imageBatch, threads, value, flag);
            default -> throw new IllegalArgumentException("unknown limit '" + name + "'; allowed: " + String.join(", ", NAMES));
        };
    }

    /** These limits, with messages that say to raise one by {@code flag} ("--limit"). */
    public Limits raisedBy(String flag) {
        return new Limits(steps, nfe, batch, imageBatch, threads, cells, flag);
    }

    /** How to raise limit {@code name} to {@code value}: "raise it with --limit steps=20000". */
    public String raise(String name, long value) {
        return "raise it with " + (flag != null ? flag + " " + name + "=" + value
                : "Limits.with(\"" + name + "\", " + value + ")");
    }
}
