package dev.stepwise.core.sampling;

import dev.stepwise.core.tensor.Vec;

/**
 * The last few x0 estimates (or derivatives) of a multistep sampler with a number per entry (its sigma,
 * t = -log sigma, or step size), newest first. Buffers are allocated once and recycled.
 */
public final class History {
    private final float[][] buffers;
    private final double[] keys;
    private int count;
    private int newest = -1;

    public History(SamplingContext ctx, int capacity) {
        buffers = new float[capacity][];
        for (int i = 0; i < capacity; i++) {
            buffers[i] = ctx.buffer();
        }
        keys = new double[capacity];
    }

    /** Stores a copy of values as the newest entry, forgetting the oldest one when full. */
    public void push(float[] values, double key) {
        newest = (newest + 1) % buffers.length;
        Vec.copy(values, buffers[newest]);
        keys[newest] = key;
        count = Math.min(count + 1, buffers.length);
    }

    /** Entry {@code back} steps ago: 0 is the newest. */
    public float[] get(int back) {
        check(back);
        return buffers[index(back)];
    }

    public double key(int back) {
        check(back);
        return keys[index(back)];
    }

    public int size() {
        return count;
    }

    public void clear() {
        count = 0;
        newest = -1;
    }

    private int index(int back) {
        return Math.floorMod(newest - back, buffers.length);
    }

    private void check(int back) {
        if (back < 0 || back >= count) {
            throw new IndexOutOfBoundsException("history has " + count + " entries, asked for " + back + " back");
        }
    }
}
