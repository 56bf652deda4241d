package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.testing.SamplerRuns;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ipndm, ipndm_v, deis and plms: their coefficients against the mathematics they stand for. */
class DiffSolverSamplersTest {

    /** A bimodal mixture: its denoiser is far from affine, so agreements cannot come from a linear special case. */
    private static GaussianMixture bimodal() {
        return new GaussianMixture(2, List.of(
                new GaussianMixture.Component(0.3, new double[] {-2, 1}, 0.3, null),
                new GaussianMixture.Component(0.7, new double[] {1.5, -0.5}, 0.6, null)), 0.002, 80);
    }

    /**
     * On a uniform sigma grid the fixed Adams-Bashforth weights of ipndm are the exact variable-step ones: ipndm and
     * lms (Lagrange integrals) take the same steps.
     */
    @Test
    void onAUniformGridIpndmAndLmsAgree() {
        double[] sigmas = new double[21];
        for (int i = 0; i <= 20; i++) {
            sigmas[i] = 10 - i * 0.45;
        }
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 10, 64, 4);
        GaussianMixture g = bimodal();
        float[] ipndm = SamplerRuns.run(Ipndm.INFO, Map.of(), g.model("g"), start, sigmas, 0).x();
        float[] lms = SamplerRuns.run(Lms.INFO, Map.of(), g.model("g"), start, sigmas, 0).x();
        assertClose(lms, ipndm, 1e-5, "ipndm vs lms");
    }

    /**
     * On a uniform grid ipndm_v's exact weights are ipndm's: AB1..AB4, (55, -59, 37, -9)/24 with four slopes. (ComfyUI's
     * closed forms give (57, -65, 43, -11)/24 there, see {@link IpndmV}.)
     */
    @Test
    void ipndmVOnAUniformGridIsIpndm() {
        double[] s = {9, 8, 7, 6, 5, 4};
        for (int k = 1; k <= 4; k++) {
            double[] c = IpndmV.weights(s, 4, k, true);
            for (int j = 0; j < k; j++) {
                assertEquals(-Ipndm.ADAMS_BASHFORTH[k - 1][j], c[j], 1e-12, "k=" + k + " weight " + j);
            }
        }
    }

    /**
     * On a uniform grid ComfyUI's closed forms (ipndm_v's default) are AB1..AB3 with up to three slopes, and with four
     * (57, -65, 43, -11)/24 (slip 2 of {@link IpndmV}): by hand from sample_ipndm_v with h = h_1 = h_2 = h_3 = -1,
     * temp1 = (1 - 1/6)/2 = 5/12, temp2 = (5/12 + (3/4)(1/18)) * 1 = 11/24, so coeff1 = 1 + 1/2 + 5/12 + 11/24 = 57/24,
     * coeff2 = -1/2 - 2 (5/12) - 3 (11/24) = -65/24, coeff3 = 5/12 + 3 (11/24) = 43/24, coeff4 = -11/24.
     */
    @Test
    void ipndmVComfyUiWeightsOnAUniformGrid() {
        double[] s = {9, 8, 7, 6, 5, 4};
        for (int k = 1; k <= 3; k++) {
            double[] c = IpndmV.weights(s, 4, k, false);
            for (int j = 0; j < k; j++) {
                assertEquals(-Ipndm.ADAMS_BASHFORTH[k - 1][j], c[j], 1e-12, "k=" + k + " weight " + j);
            }
        }
        assertArrayEquals(new double[] {-57 / 24.0, 65 / 24.0, -43 / 24.0, 11 / 24.0}, IpndmV.weights(s, 4, 4, false),
                1e-12);
    }

    /**
     * ipndm_v's default reproduces ComfyUI's update (comfy/k_diffusion/sampling.py sample_ipndm_v) on an uneven list:
     * sigmas 10, 9, 7, 6 -> 4, so h_n = -2, h_n_1 = -1, h_n_2 = -2, h_n_3 = -1. By hand from its closed forms:
     * h_n / (3 (h_n + h_n_1)) = 2/9 and h_n (h_n + h_n_1) / (h_n_1 (h_n_1 + h_n_2)) = 2, so temp1 = (1 - (2/9) 2) / 2
     * = 5/18 (slip 1: the exact t1 is (7/9)/2 * 2 = 7/9); three slopes: coeff = 2 + 5/18, -1 - (3/2)(5/18),
     * (5/18)(1/2) = 41/18, -17/12, 5/36, times h_n: -41/9, 17/6, -5/18. Four: (1 - h_n / (2 (h_n + h_n_1)))
     * h_n / (6 (h_n + h_n_1 + h_n_2)) = (2/3)(1/15) = 2/45, temp2 = (7/18 + 2/45) (-30 / -12) = (13/30)(5/2) = 13/12,
     * u = (-1)(-3) / ((-2)(-3)) = 1/2; coeff1 = 2 + 5/18 + 13/12 = 121/36, coeff2 = -1 - 5/12 - 2 (13/12) = -43/12,
     * coeff3 = 5/36 + (1/2 + (1/2)(1 + 2)) 13/12 = 83/36, coeff4 = -(13/12)(1/2)(1/2) = -13/48; times h_n: -121/18,
     * 43/6, -83/18, 13/24 (their sum is not h_n: slip 3).
     */
    @Test
    void ipndmVDefaultIsComfyUisUpdateOnAnUnevenList() {
        double[] s = {10, 9, 7, 6, 4};
        assertArrayEquals(new double[] {-41 / 9.0, 17 / 6.0, -5 / 18.0}, IpndmV.weights(s, 3, 3, false), 1e-12);
        assertArrayEquals(new double[] {-121 / 18.0, 43 / 6.0, -83 / 18.0, 13 / 24.0}, IpndmV.weights(s, 3, 4, false),
                1e-12);
        assertArrayEquals(new double[] {-4, 2}, IpndmV.weights(s, 3, 2, false), 1e-12, "r = 2: (1 + r/2, -r/2) h");
        double[] exact = IpndmV.weights(s, 3, 3, true);
        assertEquals(-2 * (2 + 7 / 9.0), exact[0], 1e-12, "weights=exact: t1 = 7/9");
        // The sampler's default is this form: a run of the registry entry differs from weights=exact.
        assertFalse(IpndmV.INFO.create(Map.of()).equals(IpndmV.INFO.create(Map.of("weights", "exact"))));
        assertEquals(new IpndmV(false), IpndmV.INFO.create(Map.of()));
    }

    /**
     * ipndm_v's exact weights (weights=exact) with k = 1..4 slopes on uneven steps (ratios from 0.34 to 2.3, including alternating ones)
     * integrate every polynomial slope of degree below k exactly: sum_j c_j p(sigma_{i-j}) = integral of p over
     * [sigma_i, sigma_{i+1}] for p = sigma^m, m < k (variable-step AB-k); and degree k is not integrated exactly,
     * so the class is exactly that. Relative tolerance 1e-12 against differences of order 1e-3 and more.
     */
    @Test
    void ipndmVWeightsIntegratePolynomialsOfDegreeBelowTheSlopeCount() {
        double[][] grids = {
                {80, 41, 17.5, 9.1, 3.3, 2.2},                    // sigma_{i-4} .. sigma_{i+1}, shrinking steps
                {10, 9, 7, 6, 4, 3},                              // alternating 1, 2, 1, 2, 1
                {5, 3.2, 2.9, 1.1, 0.9, 0.2}};                    // alternating long and short
        int i = 4;
        for (double[] s : grids) {
            for (int k = 1; k <= 4; k++) {
                double[] c = IpndmV.weights(s, i, k, true);
                for (int m = 0; m <= k; m++) {
                    double sum = 0;
                    for (int j = 0; j < k; j++) {
                        sum += c[j] * Math.pow(s[i - j], m);
                    }
                    double exact = (Math.pow(s[i + 1], m + 1) - Math.pow(s[i], m + 1)) / (m + 1);
                    String what = java.util.Arrays.toString(s) + " k=" + k + " degree " + m;
                    if (m < k) {
                        assertEquals(exact, sum, 1e-12 * Math.max(1, Math.abs(exact)), what);
                    } else {
                        assertTrue(Math.abs(sum - exact) > 1e-3 * Math.max(1, Math.abs(exact)), what + ": " + sum
                                + " vs " + exact + " should differ");
                    }
                }
            }
        }
    }

    /**
     * In exact arithmetic ipndm_v with weights=exact is lms (variable-step AB4 in sigma, the same start with 1, 2, 3
     * slopes): on a Karras list with alternating step lengths and a bimodal mixture the two runs agree to float32
     * rounding; ComfyUI's weights (the default) do not.
     */
    @Test
    void ipndmVIsLmsOnUnevenSteps() {
        double[] sigmas = SamplerRuns.karrasWithoutZero(0.05, 14.6, 20);
        for (int i = sigmas.length - 2; i >= 1; i -= 2) {
            sigmas[i] = sigmas[i] + (sigmas[i + 1] - sigmas[i]) / 3;
        }
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 14.6, 64, 4);
        GaussianMixture g = bimodal();
        float[] ipndmV = SamplerRuns.run(IpndmV.INFO, Map.of("weights", "exact"), g.model("g"), start, sigmas, 0).x();
        float[] lms = SamplerRuns.run(Lms.INFO, Map.of(), g.model("g"), start, sigmas, 0).x();
        float[] ipndm = SamplerRuns.run(Ipndm.INFO, Map.of(), g.model("g"), start, sigmas, 0).x();
        float[] comfy = SamplerRuns.run(IpndmV.INFO, Map.of(), g.model("g"), start, sigmas, 0).x();
        assertClose(lms, ipndmV, 1e-5, "ipndm_v weights=exact vs lms");
        assertTrue(maxRelativeDifference(lms, comfy) > 1e-3, "ComfyUI's weights differ on these steps");
        assertTrue(maxRelativeDifference(lms, ipndm) > 1e-3, "control: fixed-step ipndm differs on these steps");
    }

    /**
     * tAB-DEIS: the weights are the integrals over [sigma_i, sigma_{i+1}] of the Lagrange basis in the VP time t, so
     * applied to t(sigma_{i-j})^m they give the integral of t(sigma)^m for m < k; the reference integral is an
     * independent composite Simpson rule with 20000 panels.
     */
    @Test
    void deisWeightsIntegratePolynomialsInVpTimeExactly() {
        double[] s = {80, 35, 12.1, 4.4, 1.7};                   // sigma_{i-3} .. sigma_{i+1}
        int i = 3;
        for (int k = 1; k <= 3; k++) {
            double[] c = Deis.weights(s, i, k);
            for (int m = 0; m < k; m++) {
                double sum = 0;
                for (int j = 0; j < k; j++) {
                    sum += c[j] * Math.pow(Deis.vpTime(s[i - j]), m);
                }
                final int degree = m;
                double exact = simpson(sigma -> Math.pow(Deis.vpTime(sigma), degree), s[i], s[i + 1], 20000);
                assertEquals(exact, sum, 1e-10 * Math.abs(exact), "k=" + k + " degree " + m);
            }
        }
    }

    /** edm2t's VP schedule is fitted so that sigma(t = 1e-3) = 0.002 and sigma(t = 1) = 80. */
    @Test
    void deisVpTimeHitsTheFittedEnds() {
        assertEquals(1e-3, Deis.vpTime(0.002), 1e-12);
        assertEquals(1, Deis.vpTime(80), 1e-12);
    }

    /** With max_order 1, DEIS is Euler (sigma Euler steps, D itself onto 0), as ComfyUI's first DEIS step. */
    @Test
    void deisOfOrderOneIsEuler() {
        GaussianMixture g = bimodal();
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 80, 64, 6);
        double[] sigmas = SamplerRuns.karrasWithZero(0.002, 80, 10);
        float[] euler = SamplerRuns.run(Euler.INFO, Map.of(), g.model("g"), start, sigmas, 0).x();
        float[] deis = SamplerRuns.run(Deis.INFO, Map.of("max_order", 1), g.model("g"), start, sigmas, 0).x();
        assertClose(euler, deis, 1e-5, "deis max_order 1 vs euler");
    }

    /** max_order 2 is the measured order 2 (max_order 3, the default, is measured by DeterministicOrderTest). */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void deisMaxOrderIsTheMeasuredOrder(int order) {
        DeterministicOrderTest.assertOrder(Deis.INFO, Map.of("max_order", order), order);
    }

    @Test
    void deisMaxOrderOutsideOneToThreeIsRejected() {
        for (int bad : new int[] {0, 4}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Samplers.get("deis").create(Map.of("max_order", bad)));
            assertTrue(e.getMessage().contains("max_order") && e.getMessage().contains("1..3"), e.getMessage());
        }
        var g = GaussianMixture.gaussian(new double[] {0, 0}, 1, 0.002, 80);
        IllegalArgumentException viaRun = assertThrows(IllegalArgumentException.class, () -> Stepwise.sample(
                SampleRequest.builder(g.model("g")).sampler("deis").samplerParameter("max_order", 4).steps(3).build()));
        assertTrue(viaRun.getMessage().contains("max_order") && viaRun.getMessage().contains("1..3"), viaRun.getMessage());
        IllegalArgumentException direct = assertThrows(IllegalArgumentException.class, () -> new Deis(4));
        assertTrue(direct.getMessage().contains("max_order") && direct.getMessage().contains("1..3"), direct.getMessage());
    }

    /**
     * PLMS's first step is the pseudo improved Euler step, i.e. Heun's step in sigma (Karras et al. 2022, Alg. 1):
     * a one-step PLMS run equals a one-step Heun run; after it PLMS makes one model call per step (counted).
     */
    @Test
    void plmsStartsWithAHeunStep() {
        GaussianMixture g = bimodal();
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 14.6, 64, 8);
        double[] sigmas = {14.6, 3.1};
        float[] heun = SamplerRuns.run(Heun.INFO, Map.of(), g.model("g"), start, sigmas, 0).x();
        float[] plms = SamplerRuns.run(Plms.INFO, Map.of(), g.model("g"), start, sigmas, 0).x();
        assertClose(heun, plms, 1e-5, "plms vs heun, one step");
        SamplerInfo info = Plms.INFO;
        double[] ten = SamplerRuns.karrasWithoutZero(0.03, 14.6, 10);
        assertEquals(11, SamplerRuns.run(info, Map.of(), g.model("g"), start, ten, 0).calls().nfe());
    }

    private static double simpson(java.util.function.DoubleUnaryOperator f, double a, double b, int panels) {
        double h = (b - a) / panels, sum = f.applyAsDouble(a) + f.applyAsDouble(b);
        for (int i = 1; i < panels; i++) {
            sum += (i % 2 == 1 ? 4 : 2) * f.applyAsDouble(a + i * h);
        }
        return sum * h / 3;
    }

    private static double maxRelativeDifference(float[] expected, float[] actual) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / Math.max(1, Math.abs(expected[i])));
        }
        return worst;
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        double worst = maxRelativeDifference(expected, actual);
        System.out.printf("%s: largest relative difference %.3e%n", what, worst);
        assertTrue(worst <= tolerance, what + ": largest relative difference " + worst + " > " + tolerance);
    }
}
