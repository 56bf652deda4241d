package dev.stepwise.core.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.schedule.KarrasScheduler;
import org.junit.jupiter.api.Test;

/**
 * The Brownian tree against the defining properties of Brownian motion: increments over disjoint
 * intervals are independent N(0, |dt|), increments add up, and the path is fixed by the seed alone.
 * Statistical limits are 4.5 standard errors for the element count n: the mean of n standard normals
 * has s.e. 1/sqrt(n), their sample variance sqrt(2/n), a sample correlation of independent ones 1/sqrt(n).
 */
class BrownianTreeNoiseTest {
    static final int N = 40000;
    static final double Z = 4.5;
    static final double SIGMA_MIN = 0.002;
    static final double SIGMA_MAX = 80;

    /** Disjoint intervals, from the range's ends to steps much narrower than near sigma_min of a run. */
    static final double[][] INTERVALS = {
        {80, 79.99}, {40, 10}, {3, 2.9}, {1, 0.5}, {0.0300, 0.0299}, {0.0100, 0.0099}, {0.0029, 0.00289}, {0.0021, 0.002}
    };

    static float[] increment(BrownianTreeNoise tree, double from, double to) {
        float[] out = new float[N];
        tree.sample(from, to, out);
        return out;
    }

    @Test
    void normalisedIncrementsAreStandardNormalAndUncorrelated() {
        BrownianTreeNoise tree = new BrownianTreeNoise(7, SIGMA_MIN, SIGMA_MAX, N);
        float[][] inc = new float[INTERVALS.length][];
        for (int k = 0; k < INTERVALS.length; k++) {
            inc[k] = increment(tree, INTERVALS[k][0], INTERVALS[k][1]);
            double mean = 0, sq = 0;
            for (float v : inc[k]) {
                mean += v;
                sq += (double) v * v;
            }
            mean /= N;
            double var = sq / N - mean * mean;
            String what = "interval " + INTERVALS[k][0] + " -> " + INTERVALS[k][1];
            assertEquals(0, mean, Z / Math.sqrt(N), what + ": mean");
            assertEquals(1, var, Z * Math.sqrt(2.0 / N), what + ": variance of the normalised increment");
        }
        for (int a = 0; a < INTERVALS.length; a++) {
            for (int b = a + 1; b < INTERVALS.length; b++) {
                double c = 0;
                for (int i = 0; i < N; i++) {
                    c += (double) inc[a][i] * inc[b][i];
                }
                assertEquals(0, c / N, Z / Math.sqrt(N), "correlation of intervals " + a + " and " + b);
            }
        }
    }

    /** The variance check can fail: with leaves wider than the step, interpolation loses most of the variance. */
    @Test
    void tooCoarseALeafIsCaught() {
        BrownianTreeNoise coarse = new BrownianTreeNoise(7, SIGMA_MIN, SIGMA_MAX, N, 1e-2);
        float[] v = increment(coarse, 0.0021, 0.002);
        double sq = 0;
        for (float x : v) {
            sq += (double) x * x;
        }
        assertTrue(sq / N < 1 - Z * Math.sqrt(2.0 / N), "variance " + sq / N + " should be far below 1");
    }

    /** Elements are independent paths: neighbouring elements of one increment are uncorrelated. */
    @Test
    void elementsAreIndependentPaths() {
        BrownianTreeNoise tree = new BrownianTreeNoise(11, SIGMA_MIN, SIGMA_MAX, N);
        float[] v = increment(tree, 5, 4);
        double c = 0;
        for (int i = 0; i + 1 < N; i += 2) {
            c += (double) v[i] * v[i + 1];
        }
        assertEquals(0, c / (N / 2), Z / Math.sqrt(N / 2.0), "correlation of elements 2i and 2i+1");
    }

    @Test
    void incrementsAddUp() {
        BrownianTreeNoise tree = new BrownianTreeNoise(3, SIGMA_MIN, SIGMA_MAX, N);
        double[][] triples = {{60, 14.5, 0.3}, {0.05, 0.0321, 0.002}, {80, 1, 0.002}, {0.9, 0.8999, 0.8998}};
        for (double[] t : triples) {
            float[] ac = increment(tree, t[0], t[2]), ab = increment(tree, t[0], t[1]), bc = increment(tree, t[1], t[2]);
            double sac = Math.sqrt(t[0] - t[2]), sab = Math.sqrt(t[0] - t[1]), sbc = Math.sqrt(t[1] - t[2]);
            double worst = 0;
            for (int i = 0; i < N; i++) {
                double err = Math.abs(ac[i] * sac - (ab[i] * sab + bc[i] * sbc));
                worst = Math.max(worst, err);
            }
            // Float rounding of the three normalised increments, relative to the largest path value (~ 5 sqrt(80)).
            assertTrue(worst < 1e-5 * Math.sqrt(SIGMA_MAX) * 5, "W(a,c) = W(a,b) + W(b,c) off by " + worst + " for " + t[0] + ", " + t[1] + ", " + t[2]);
        }
    }

    /** A run with 10 steps and one with 37 walk the same path: W(sigma_min) - W(sigma_max) agrees, and so does W at a shared sigma. */
    @Test
    void sameSeedSamePathWhateverTheStepGrid() {
        double[] coarse = KarrasScheduler.karras(SIGMA_MIN, SIGMA_MAX, 10, 7);
        double[] fine = KarrasScheduler.karras(SIGMA_MIN, SIGMA_MAX, 37, 7);
        int n = 1000;
        double[] totalCoarse = walk(new BrownianTreeNoise(42, SIGMA_MIN, SIGMA_MAX, n), coarse, n);
        double[] totalFine = walk(new BrownianTreeNoise(42, SIGMA_MIN, SIGMA_MAX, n), fine, n);
        for (int i = 0; i < n; i++) {
            assertEquals(totalCoarse[i], totalFine[i], 1e-4, "W(sigma_min) - W(sigma_max), element " + i);
        }
        // After different query histories, one interval reads the same values.
        BrownianTreeNoise a = new BrownianTreeNoise(42, SIGMA_MIN, SIGMA_MAX, n);
        BrownianTreeNoise b = new BrownianTreeNoise(42, SIGMA_MIN, SIGMA_MAX, n);
        walk(b, fine, n);
        float[] va = new float[n], vb = new float[n];
        a.sample(2.5, 0.7, va);
        b.sample(2.5, 0.7, vb);
        assertArrayEquals(va, vb, "same seed, same interval");
    }

    @Test
    void differentSeedsGiveDifferentPaths() {
        int n = 1000;
        float[] a = new float[n], b = new float[n];
        new BrownianTreeNoise(1, SIGMA_MIN, SIGMA_MAX, n).sample(10, 9, a);
        new BrownianTreeNoise(2, SIGMA_MIN, SIGMA_MAX, n).sample(10, 9, b);
        double c = 0;
        for (int i = 0; i < n; i++) {
            c += (double) a[i] * b[i];
        }
        assertEquals(0, c / n, Z / Math.sqrt(n), "paths of different seeds are uncorrelated");
    }

    @Test
    void reversedQueryNegatesAndEmptyIntervalIsZero() {
        int n = 100;
        BrownianTreeNoise tree = new BrownianTreeNoise(5, SIGMA_MIN, SIGMA_MAX, n);
        float[] down = new float[n], up = new float[n], none = new float[n];
        tree.sample(3, 2, down);
        tree.sample(2, 3, up);
        tree.sample(2, 2, none);
        for (int i = 0; i < n; i++) {
            assertEquals(-down[i], up[i], 1e-6);
            assertEquals(0, none[i]);
        }
    }

    /** Sum of the grid's increments times sqrt(dt): W(last) - W(first) along that grid. */
    static double[] walk(BrownianTreeNoise tree, double[] sigmas, int n) {
        double[] total = new double[n];
        float[] out = new float[n];
        for (int i = 0; i + 1 < sigmas.length && sigmas[i + 1] > 0; i++) {
            tree.sample(sigmas[i], sigmas[i + 1], out);
            double s = Math.sqrt(sigmas[i] - sigmas[i + 1]);
            for (int j = 0; j < n; j++) {
                total[j] += out[j] * s;
            }
        }
        return total;
    }
}
