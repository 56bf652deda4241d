package dev.stepwise.core.guidance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Denoiser;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Classifier-free guidance (Ho and Salimans 2022) on a labelled Gaussian mixture, where the conditional and
 * unconditional posterior means are known exactly: written out here from the component formulas
 * D(x) = sum_k r_k(x) (m_k + s_k^2 / (s_k^2 + sigma^2) (x - m_k)), r_k proportional to
 * w_k N(x; m_k, (s_k^2 + sigma^2) I), independently of GaussianMixture's code.
 */
class ClassifierFreeGuidanceTest {
    // label 0: one component; label 1: two; one unlabelled component (present only unconditionally).
    static final double[][] MEANS = {{-2, 0}, {2, 1}, {0.5, 3}, {0, -2}};
    static final double[] STDS = {0.5, 0.6, 0.4, 0.8};
    static final double[] WEIGHTS = {1, 0.5, 0.5, 1};
    static final Integer[] LABELS = {0, 1, 1, null};
    static final int B = 5;

    static GaussianMixture mixture() {
        List<GaussianMixture.Component> cs = new ArrayList<>();
        for (int k = 0; k < MEANS.length; k++) {
            cs.add(new GaussianMixture.Component(WEIGHTS[k], MEANS[k], STDS[k], LABELS[k]));
        }
        return new GaussianMixture(2, cs, 0.002, 80);
    }

    /** The exact posterior mean over the components whose label passes (label -1: unconditional). */
    static double[] posteriorMean(double[] x, double sigma, int label) {
        double[] num = new double[2];
        double den = 0;
        for (int k = 0; k < MEANS.length; k++) {
            if (label >= 0 && (LABELS[k] == null || LABELS[k] != label)) {
                continue;
            }
            double v = STDS[k] * STDS[k] + sigma * sigma;
            double d2 = Math.pow(x[0] - MEANS[k][0], 2) + Math.pow(x[1] - MEANS[k][1], 2);
            double r = WEIGHTS[k] * Math.exp(-d2 / (2 * v)) / (2 * Math.PI * v);
            double shrink = STDS[k] * STDS[k] / v;
            for (int j = 0; j < 2; j++) {
                num[j] += r * (MEANS[k][j] + shrink * (x[j] - MEANS[k][j]));
            }
            den += r;
        }
        return new double[] {num[0] / den, num[1] / den};
    }

    static Tensor points(long seed) {
        Tensor x = Tensor.zeros(B, 2);
        float[] d = x.data();
        new TorchGenerator(seed).randn(d);
        for (int i = 0; i < d.length; i++) {
            d[i] *= 2;
        }
        return x;
    }

    /** Wraps a denoiser, counting calls and rows and capping the batch. */
    static final class Counting implements Denoiser {
        final Denoiser inner;
        final int max;
        int calls;
        int rows;

        Counting(Denoiser inner, int max) {
            this.inner = inner;
            this.max = max;
        }

        @Override
        public void denoise(Tensor x, double sigma, List<Conditioning> cond, Tensor out) {
            if (x.batch() > max || cond.size() != x.batch()) {
                throw new AssertionError("batch " + x.batch() + " with " + cond.size() + " conds, max " + max);
            }
            calls++;
            rows += x.batch();
            inner.denoise(x, sigma, cond, out);
        }

        @Override
        public int maxBatch() {
            return max;
        }
    }

    @Test
    void guidedOutputIsUncondPlusScaleTimesDifference() {
        GaussianMixture gm = mixture();
        Conditioning c1 = Conditioning.label(1, 2);
        for (double w : new double[] {0, 0.5, 2, 7.5}) {
            for (double sigma : new double[] {0.1, 1, 5}) {
                Tensor x = points(3), out = Tensor.zeros(B, 2), u = Tensor.zeros(B, 2);
                new ClassifierFreeGuidance(w).predict(gm, x, sigma, Conditions.of(c1, Conditioning.NONE, B), out, u,
                        new ModelCalls.Counter());
                for (int i = 0; i < B; i++) {
                    double[] xi = {x.data()[2 * i], x.data()[2 * i + 1]};
                    double[] dc = posteriorMean(xi, sigma, 1), du = posteriorMean(xi, sigma, -1);
                    for (int j = 0; j < 2; j++) {
                        double expected = du[j] + w * (dc[j] - du[j]);
                        // float32 denoiser outputs (~1e-7 relative each), amplified by w in the difference.
                        double tol = 1e-6 * (1 + w) * (1 + Math.abs(dc[j]) + Math.abs(du[j]));
                        assertEquals(expected, out.data()[2 * i + j], tol, "w " + w + " sigma " + sigma);
                        assertEquals(du[j], u.data()[2 * i + j], 1e-6 * (1 + Math.abs(du[j])), "uncond estimate");
                    }
                }
            }
        }
    }

    @Test
    void negativeConditioningIsTheUncondBranch() {
        GaussianMixture gm = mixture();
        double w = 3, sigma = 0.7;
        Tensor x = points(4), out = Tensor.zeros(B, 2);
        new ClassifierFreeGuidance(w).predict(gm, x, sigma,
                Conditions.of(Conditioning.label(1, 2), Conditioning.label(0, 2), B), out, null, new ModelCalls.Counter());
        for (int i = 0; i < B; i++) {
            double[] xi = {x.data()[2 * i], x.data()[2 * i + 1]};
            double[] dc = posteriorMean(xi, sigma, 1), dn = posteriorMean(xi, sigma, 0);
            for (int j = 0; j < 2; j++) {
                assertEquals(dn[j] + w * (dc[j] - dn[j]), out.data()[2 * i + j],
                        1e-6 * (1 + w) * (1 + Math.abs(dc[j]) + Math.abs(dn[j])));
            }
        }
    }

    @Test
    void cfgOneIsExactlyTheConditionalDenoiserWithNoUncondPass() {
        GaussianMixture gm = mixture();
        Conditioning c1 = Conditioning.label(1, 2);
        Tensor x = points(5), out = Tensor.zeros(B, 2), direct = Tensor.zeros(B, 2);
        Counting model = new Counting(gm, Integer.MAX_VALUE);
        ModelCalls.Counter calls = new ModelCalls.Counter();
        new ClassifierFreeGuidance(1.0).predict(model, x, 0.8, Conditions.of(c1, Conditioning.NONE, B), out, null, calls);
        gm.denoise(x, 0.8, java.util.Collections.nCopies(B, c1), direct);
        assertArrayEquals(direct.data(), out.data(), 0f);
        assertEquals(new ModelCalls(0, 1, 0, 1), calls.snapshot());
        assertEquals(B, model.rows);
    }

    /** CFG++ needs D_u: asking for it at cfg = 1 runs the uncond pass (ComfyUI disables its shortcut). */
    @Test
    void cfgOneStillGivesTheTrueUncondEstimateWhenAskedFor() {
        GaussianMixture gm = mixture();
        Conditioning c1 = Conditioning.label(1, 2);
        Tensor x = points(6), out = Tensor.zeros(B, 2), u = Tensor.zeros(B, 2);
        Tensor dc = Tensor.zeros(B, 2), du = Tensor.zeros(B, 2);
        ModelCalls.Counter calls = new ModelCalls.Counter();
        new ClassifierFreeGuidance(1.0).predict(gm, x, 0.8, Conditions.of(c1, Conditioning.NONE, B), out, u, calls);
        gm.denoise(x, 0.8, java.util.Collections.nCopies(B, c1), dc);
        gm.denoise(x, 0.8, java.util.Collections.nCopies(B, Conditioning.NONE), du);
        assertArrayEquals(dc.data(), out.data(), 0f);
        assertArrayEquals(du.data(), u.data(), 0f);
        assertEquals(new ModelCalls(0, 1, 1, 1), calls.snapshot());
    }

    @Test
    void batchedAndUnbatchedAgreeAndCountNetworkCalls() {
        GaussianMixture gm = mixture();
        Conditions cond = Conditions.of(Conditioning.label(0, 2), Conditioning.NONE, B);
        Tensor x = points(7), outB = Tensor.zeros(B, 2), outU = Tensor.zeros(B, 2);
        Counting mb = new Counting(gm, Integer.MAX_VALUE), mu = new Counting(gm, Integer.MAX_VALUE);
        ModelCalls.Counter cb = new ModelCalls.Counter(), cu = new ModelCalls.Counter();
        ClassifierFreeGuidance batched = new ClassifierFreeGuidance(4, true), single = new ClassifierFreeGuidance(4, false);
        for (int eval = 0; eval < 3; eval++) {
            batched.predict(mb, x, 1.5, cond, outB, null, cb);
            single.predict(mu, x, 1.5, cond, outU, null, cu);
        }
        assertArrayEquals(outU.data(), outB.data(), 0f);
        assertEquals(new ModelCalls(0, 3, 3, 3), cb.snapshot(), "one network call of 2B rows per evaluation");
        assertEquals(new ModelCalls(0, 3, 3, 6), cu.snapshot(), "two network calls of B rows per evaluation");
        assertEquals(3, mb.calls);
        assertEquals(6, mu.calls);
        assertEquals(6 * B, mb.rows);
        assertEquals(6 * B, mu.rows);
    }

    /** A model taking at most 3 rows: 2B = 10 rows batched need 4 calls; unbatched 2 x ceil(5/3) = 4. */
    @Test
    void cappedBatchIsSplitAndCounted() {
        GaussianMixture gm = mixture();
        Conditions cond = Conditions.of(Conditioning.label(1, 2), Conditioning.label(0, 2), B);
        Tensor x = points(8), ref = Tensor.zeros(B, 2);
        new ClassifierFreeGuidance(2.5).predict(gm, x, 0.9, cond, ref, null, new ModelCalls.Counter());
        for (boolean batched : new boolean[] {true, false}) {
            Counting m = new Counting(gm, 3);
            ModelCalls.Counter calls = new ModelCalls.Counter();
            Tensor out = Tensor.zeros(B, 2);
            new ClassifierFreeGuidance(2.5, batched).predict(m, x, 0.9, cond, out, null, calls);
            assertArrayEquals(ref.data(), out.data(), 0f, "batched " + batched);
            assertEquals(4, m.calls, "batched " + batched);
            assertEquals(2 * B, m.rows);
            assertEquals(new ModelCalls(0, 1, 1, 4), calls.snapshot());
        }
        Counting m = new Counting(gm, 3);
        ModelCalls.Counter calls = new ModelCalls.Counter();
        new ClassifierFreeGuidance(1, true).predict(m, x, 0.9, cond, Tensor.zeros(B, 2), null, calls);
        assertEquals(new ModelCalls(0, 1, 0, 2), calls.snapshot(), "cfg 1: ceil(5/3) calls of the cond rows only");
    }

    /** Through the library entry point: per run, nfe = steps for euler, network calls 1 or 2 per nfe. */
    @Test
    void runCountsMatchTheGuidanceMode() {
        GaussianMixture gm = mixture();
        for (double cfg : new double[] {1, 3}) {
            for (boolean batched : new boolean[] {true, false}) {
                dev.stepwise.core.SampleResult r = dev.stepwise.core.Stepwise.sample(
                        dev.stepwise.core.SampleRequest.builder(gm.model("gm")).sampler("euler").scheduler("karras")
                                .steps(10).cfg(cfg).batchCondUncond(batched).prompt(Conditioning.label(1, 2))
                                .batch(4).seed(2).build());
                long uncond = cfg == 1 ? 0 : 10;
                long network = cfg == 1 || batched ? 10 : 20;
                assertEquals(new ModelCalls(10, 10, uncond, network), r.calls(), "cfg " + cfg + " batched " + batched);
            }
        }
    }

    @Test
    void badScaleIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> new ClassifierFreeGuidance(-1));
        assertEquals("cfg -1.0 is out of range; allowed: [0, 100] (1 = no guidance)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ClassifierFreeGuidance(Double.NaN));
        // A scale past ComfyUI's 100 overflows rather than guides (cfg 1e300 made all-black images).
        assertThrows(IllegalArgumentException.class, () -> new ClassifierFreeGuidance(1e300));
        assertEquals(100, new ClassifierFreeGuidance(100).scale());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Conditions(List.of(Conditioning.NONE), List.of()));
        assertEquals("1 positive but 0 negative conditionings", e.getMessage());
    }
}
