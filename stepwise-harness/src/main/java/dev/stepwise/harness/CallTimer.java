package dev.stepwise.harness;

/**
 * Counts the model calls of one worker and the wall time spent inside them. One per worker thread (not
 * thread-safe); {@link #reset()} between cells.
 */
public final class CallTimer {
    private long calls;
    private long nanos;

    void add(long elapsedNanos) {
        calls++;
        nanos += elapsedNanos;
    }

    /** Denoiser calls since the last reset (a batched cond+uncond pass is one call). */
    public long calls() {
        return calls;
    }

    public double seconds() {
        return nanos / 1e9;
    }

    public void reset() {
        calls = 0;
        nanos = 0;
    }
}
