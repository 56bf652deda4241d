package dev.stepwise.core.noise;

import java.util.Arrays;

/**
 * Step noise from one fixed Brownian motion per array element, W(t) on t in [tMin, tMax] (t = sigma),
 * as k-diffusion's {@code BrownianTreeNoiseSampler} over torchsde's {@code BrownianTree} (Li et al. 2020,
 * "Scalable gradients for stochastic differential equations", the virtual Brownian tree). The query
 * (sigma, sigmaNext) returns (W(sigmaNext) - W(sigma)) / sqrt(|sigmaNext - sigma|), standard normal for
 * each element, and because every query reads the same path, a run with 20 steps and one with 40 see
 * the same Brownian motion (increments over adjacent intervals add up exactly).
 *
 * <p>Construction: W(tMin) = 0 and W(tMax) = sqrt(tMax - tMin) Z_0. Bisection by the Brownian bridge
 * fills in the rest lazily: given W at the ends of [l, r], the midpoint m has
 * W(m) = (W(l) + W(r)) / 2 + sqrt((r - l) / 4) Z_node. Nodes are numbered as a heap (root interval 1,
 * children 2k and 2k + 1). A query point is found by descending until the interval is narrower than the
 * tolerance (default {@code min(1e-6, 1e-4 tMin)}, so that a step's variance is off by at most about
 * tolerance / (2 |step|)) or the point is an endpoint; inside that leaf W is interpolated linearly.
 *
 * <p>Randomness: node k's normals come from SplitMix64 (Steele, Lea and Flood 2014) started at
 * {@code mix64(seed + GOLDEN * (k + 1))} (mix64 is SplitMix64's output function, GOLDEN its increment
 * 0x9e3779b97f4a7c15); each pair of elements takes Marsaglia's polar method (1964): u, v uniform on
 * [-1, 1) from the top 53 bits of successive outputs, redrawn until 0 < s = u^2 + v^2 < 1, then
 * (u, v) sqrt(-2 ln s / s), with {@link StrictMath#log} so that a seed gives the same path on every JVM.
 * The path differs from torchsde's (which draws from torch generators); the law is the same.
 *
 * <p>Cost: the descent of the last query point is kept (one double array per level), and the last few
 * points' values are remembered, so a run walking down its sigmas mostly re-descends only the lowest
 * levels. Memory is about (depth + 6) x the element count in doubles. Not thread-safe.
 */
public final class BrownianTreeNoise implements NoiseSampler {
    private static final long GOLDEN = 0x9e3779b97f4a7c15L;
    private static final int MAX_DEPTH = 60;
    private static final int REMEMBERED = 4;

    private final long seed;
    private final double tMin;
    private final double tMax;
    private final double tolerance;
    private final int n;
    private final double[] zero;
    private final double[] top;
    // The last descent: level k's interval [left[k], right[k]] and W at its midpoint, midW[k]. W on the
    // dyadic grid does not depend on query order, so a level is reusable whenever its interval matches.
    private final double[] left = new double[MAX_DEPTH + 1];
    private final double[] right = new double[MAX_DEPTH + 1];
    private final double[][] midW = new double[MAX_DEPTH + 1][];
    private int pathDepth;
    // Recently queried points and their W values, in round-robin order.
    private final double[] rememberedT = new double[REMEMBERED];
    private final double[][] rememberedW = new double[REMEMBERED][];
    private int nextRemembered;
    private final double[] queryA;

    /** A tree over [tMin, tMax] for arrays of {@code size} elements, with the default tolerance. */
    public BrownianTreeNoise(long seed, double tMin, double tMax, int size) {
        this(seed, tMin, tMax, size, Math.min(1e-6, 1e-4 * tMin));
    }

    public BrownianTreeNoise(long seed, double tMin, double tMax, int size, double tolerance) {
        if (!(tMin >= 0 && tMax > tMin) || Double.isInfinite(tMax)) {
            throw new IllegalArgumentException("Brownian tree interval [" + tMin + ", " + tMax
                    + "] must satisfy 0 <= t_min < t_max < infinity");
        }
        if (size < 1) {
            throw new IllegalArgumentException("Brownian tree size " + size + " must be at least 1");
        }
        if (!(tolerance > 0)) {
            throw new IllegalArgumentException("Brownian tree tolerance " + tolerance + " must be > 0");
        }
        this.seed = seed;
        this.tMin = tMin;
        this.tMax = tMax;
        // The heap numbering fits a long up to depth 62; 2^-60 of the range is below double resolution anyway.
        this.tolerance = Math.max(tolerance, (tMax - tMin) * 0x1.0p-60);
        this.n = size;
        this.zero = new double[size];
        this.top = new double[size];
        normals(0, top);
        double s = Math.sqrt(tMax - tMin);
        for (int i = 0; i < size; i++) {
            top[i] *= s;
        }
        Arrays.fill(rememberedT, Double.NaN);
        this.queryA = new double[size];
    }

    public double tMin() {
        return tMin;
    }

    public double tMax() {
        return tMax;
    }

    @Override
    public void sample(double sigma, double sigmaNext, float[] out) {
        if (out.length != n) {
            throw new IllegalArgumentException("Brownian tree built for " + n + " values, asked for " + out.length);
        }
        double dt = sigmaNext - sigma;
        if (dt == 0) {
            Arrays.fill(out, 0f);
            return;
        }
        // W(sigma) is copied because finding W(sigmaNext) may overwrite the array it came from.
        System.arraycopy(valueAt(sigma), 0, queryA, 0, n);
        double[] b = valueAt(sigmaNext);
        double inv = 1 / Math.sqrt(Math.abs(dt));
        for (int i = 0; i < n; i++) {
            out[i] = (float) ((b[i] - queryA[i]) * inv);
        }
    }

    /** W(t) for every element (t clamped into [tMin, tMax]); the array is owned by the tree, read it at once. */
    public double[] valueAt(double t) {
        if (Double.isNaN(t)) {
            throw new IllegalArgumentException("Brownian tree queried at NaN");
        }
        t = Math.min(tMax, Math.max(tMin, t));
        if (t == tMin) {
            return zero;
        }
        if (t == tMax) {
            return top;
        }
        for (int k = 0; k < REMEMBERED; k++) {
            if (rememberedT[k] == t) {
                return rememberedW[k];
            }
        }
        double[] w = rememberedW[nextRemembered];
        if (w == null) {
            w = rememberedW[nextRemembered] = new double[n];
        }
        rememberedT[nextRemembered] = t;
        nextRemembered = (nextRemembered + 1) % REMEMBERED;
        descend(t, w);
        return w;
    }

    private void descend(double t, double[] out) {
        double l = tMin, r = tMax;
        double[] wl = zero, wr = top;
        long node = 1;
        boolean reuse = true;
        for (int level = 0; ; level++) {
            if (t == l || t == r) {
                System.arraycopy(t == l ? wl : wr, 0, out, 0, n);
                return;
            }
            if (r - l <= tolerance || level == MAX_DEPTH) {
                double u = (t - l) / (r - l);
                for (int i = 0; i < n; i++) {
                    out[i] = wl[i] + u * (wr[i] - wl[i]);
                }
                return;
            }
            double m = 0.5 * (l + r);
            boolean goRight = t >= m;
            // The cached midpoint is valid while this descent has followed the cached one.
            reuse = reuse && level < pathDepth && left[level] == l && right[level] == r;
            double[] wm = midW[level];
            if (!reuse) {
                if (wm == null) {
                    wm = midW[level] = new double[n];
                }
                bridgeMidpoint(node, l, r, wl, wr, wm);
                left[level] = l;
                right[level] = r;
                pathDepth = level + 1;
            }
            if (goRight) {
                l = m;
                wl = wm;
                node = 2 * node + 1;
            } else {
                r = m;
                wr = wm;
                node = 2 * node;
            }
        }
    }

    /** W at the midpoint of [l, r] given W at its ends: the Brownian bridge's law, from node's own normals. */
    private void bridgeMidpoint(long node, double l, double r, double[] wl, double[] wr, double[] wm) {
        normals(node, wm);
        double s = Math.sqrt(0.25 * (r - l));
        for (int i = 0; i < n; i++) {
            wm[i] = 0.5 * (wl[i] + wr[i]) + s * wm[i];
        }
    }

    /** Node's standard normals: SplitMix64 from a per-node state, Marsaglia's polar method on pairs. */
    private void normals(long node, double[] out) {
        long state = mix64(seed + GOLDEN * (node + 1));
        for (int i = 0; i < out.length; i += 2) {
            double u, v, s;
            do {
                state += GOLDEN;
                u = (mix64(state) >> 11) * 0x1.0p-52;            // uniform on [-1, 1) from the top 53 bits
                state += GOLDEN;
                v = (mix64(state) >> 11) * 0x1.0p-52;
                s = u * u + v * v;
            } while (s >= 1 || s == 0);
            double f = Math.sqrt(-2 * StrictMath.log(s) / s);
            out[i] = u * f;
            if (i + 1 < out.length) {
                out[i + 1] = v * f;
            }
        }
    }

    /** SplitMix64's output function (Stafford's variant 13). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
