package dev.stepwise.core.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.model.FlowSampling;
import dev.stepwise.core.model.ModelSampling;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each scheduler's values against its formula written out by hand, on SD1's 1000 training sigmas. */
class SchedulerFormulasTest {
    private static final ModelSampling SD1 = SchedulersTest.SD1;
    private static final double[] T = SD1.sigmaTable();
    private static final double SMIN = SD1.sigmaMin(), SMAX = SD1.sigmaMax();

    @Test
    void sd1TableHasTheKnownExtremes() {
        assertEquals(1000, T.length);
        assertEquals(0.0292, SMIN, 5e-5);
        assertEquals(14.6146, SMAX, 5e-5);
    }

    @Test
    void karrasIsEq5OfEdm() {
        int n = 12;
        double[] s = Schedulers.get("karras").create().sigmas(SD1, n);
        for (int i = 0; i < n; i++) {
            double expected = Math.pow(Math.pow(SMAX, 1 / 7.0) + i / (n - 1.0) * (Math.pow(SMIN, 1 / 7.0) - Math.pow(SMAX, 1 / 7.0)), 7);
            assertEquals(expected, s[i], 1e-12 * expected, "i=" + i);
        }
        assertEquals(SMAX, s[0], 1e-12 * SMAX);
        assertEquals(SMIN, s[n - 1], 1e-12 * SMIN);
        // rho = 1 is linear in sigma.
        double[] lin = Schedulers.get("karras").create(Map.of("rho", 1)).sigmas(SD1, 5);
        for (int i = 0; i < 5; i++) {
            assertEquals(SMAX + i / 4.0 * (SMIN - SMAX), lin[i], 1e-12);
        }
    }

    @Test
    void exponentialHasAConstantRatio() {
        int n = 9;
        double[] s = Schedulers.get("exponential").create().sigmas(SD1, n);
        double ratio = Math.pow(SMIN / SMAX, 1.0 / (n - 1));
        assertEquals(SMAX, s[0], 1e-12 * SMAX);
        for (int i = 1; i < n; i++) {
            assertEquals(ratio, s[i] / s[i - 1], 1e-12, "i=" + i);
        }
        assertEquals(SMIN, s[n - 1], 1e-12 * SMIN);
        assertArrayEquals(new double[] {SMAX, 0}, Schedulers.get("exponential").create().sigmas(SD1, 1), 1e-12);
    }

    @Test
    void klOptimalIsUniformInArctan() {
        int n = 7;
        double[] s = Schedulers.get("kl_optimal").create().sigmas(SD1, n);
        for (int i = 0; i < n; i++) {
            double t = i / (n - 1.0);
            double expected = Math.tan(t * Math.atan(SMIN) + (1 - t) * Math.atan(SMAX));
            assertEquals(expected, s[i], 1e-12 * expected, "i=" + i);
        }
        double step = Math.atan(s[1]) - Math.atan(s[0]);
        for (int i = 2; i < n; i++) {
            assertEquals(step, Math.atan(s[i]) - Math.atan(s[i - 1]), 1e-13);
        }
        // One step: ComfyUI gives NaN (0/0); here t = 0, i.e. sigma_max.
        assertArrayEquals(new double[] {SMAX, 0}, Schedulers.get("kl_optimal").create().sigmas(SD1, 1), 1e-12);
    }

    /**
     * ComfyUI's discrete timestep(sigma) is the nearest table index; DiscreteVpSampling interpolates, and its
     * float log table puts t(sigma_max) a hair below 999, so levels agree with the table to 1e-7, not exactly.
     */
    @Test
    void normalAndSgmUniformHitTableEntriesOnIntegerTimesteps() {
        // normal, 4 steps: timesteps 999, 666, 333, 0.
        double[] s = Schedulers.get("normal").create().sigmas(SD1, 4);
        assertArrayEquals(new double[] {T[999], T[666], T[333], T[0], 0}, s, 2e-6);
        // sgm_uniform, 3 steps: linspace(999, 0, 4) without its last point.
        double[] g = Schedulers.get("sgm_uniform").create().sigmas(SD1, 3);
        assertArrayEquals(new double[] {T[999], T[666], T[333], 0}, g, 2e-6);
        // normal, 5 steps: timestep 749.25 lies a quarter of the way from 749 to 750 in log sigma.
        double[] f = Schedulers.get("normal").create().sigmas(SD1, 5);
        assertEquals(Math.exp(0.75 * Math.log(T[749]) + 0.25 * Math.log(T[750])), f[1], 1e-6 * f[1]);
        assertEquals(Math.exp(0.5 * Math.log(T[499]) + 0.5 * Math.log(T[500])), f[2], 1e-6 * f[2]);
    }

    @Test
    void simpleStridesFromTheTop() {
        double[] s = Schedulers.get("simple").create().sigmas(SD1, 10);
        for (int i = 0; i < 10; i++) {
            assertEquals(T[999 - 100 * i], s[i], "i=" + i);
        }
        // 7 steps: stride 1000/7 = 142.857..., offsets int(i * 142.857) = 0, 142, 285, 428, 571, 714, 857.
        double[] seven = Schedulers.get("simple").create().sigmas(SD1, 7);
        int[] offsets = {0, 142, 285, 428, 571, 714, 857};
        for (int i = 0; i < 7; i++) {
            assertEquals(T[999 - offsets[i]], seven[i], "i=" + i);
        }
        assertEquals(1001, Schedulers.get("simple").create().sigmas(SD1, 1000).length);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.get("simple").create().sigmas(SD1, 1001));
        assertEquals("scheduler simple: steps 1001 exceeds the model's 1000 noise levels; allowed: 1..1000", e.getMessage());
    }

    @Test
    void ddimUniformStridesFromIndexOne() {
        // 10 steps: indices 901, 801, ..., 1, then 0.
        double[] s = Schedulers.get("ddim_uniform").create().sigmas(SD1, 10);
        assertEquals(11, s.length);
        for (int i = 0; i < 10; i++) {
            assertEquals(T[901 - 100 * i], s[i], "i=" + i);
        }
        // 7 steps: stride int(1000 / 7) = 142 does not divide 999, so indices 1 + 142 k for k = 7..0:
        // eight levels, one step more than asked, as in ComfyUI.
        double[] seven = Schedulers.get("ddim_uniform").create().sigmas(SD1, 7);
        assertEquals(9, seven.length);
        for (int k = 7; k >= 0; k--) {
            assertEquals(T[1 + 142 * k], seven[7 - k]);
        }
        assertEquals(0.0, seven[8]);
    }

    @Test
    void betaWithUniformShapeIsEvenInTimestep() {
        // Beta(1, 1): the quantile is the identity, so t_i = rint((1 - i/7) * 999).
        double[] s = Schedulers.get("beta").create(Map.of("alpha", 1, "beta", 1)).sigmas(SD1, 7);
        for (int i = 0; i < 7; i++) {
            assertEquals(T[(int) Math.rint((1 - i / 7.0) * 999)], s[i], "i=" + i);
        }
    }

    @Test
    void betaWithArcsineShapeFollowsSinSquared() {
        // Beta(1/2, 1/2): the quantile of p is sin^2(pi p / 2). An odd step count keeps p off 1/2,
        // whose timestep 499.5 would be a rounding tie.
        double[] s = Schedulers.get("beta").create(Map.of("alpha", 0.5, "beta", 0.5)).sigmas(SD1, 9);
        for (int i = 0; i < 9; i++) {
            double q = Math.sin(Math.PI / 2 * (1 - i / 9.0));
            double t = q * q * 999;
            assertTrue(Math.abs(t - Math.floor(t) - 0.5) > 1e-6, "no rounding tie");
            assertEquals(T[(int) Math.rint(t)], s[i], "i=" + i);
        }
    }

    @Test
    void betaDefaultIsSymmetricAndMatchesComfyUi() {
        double[] s = Schedulers.get("beta").create().sigmas(SD1, 10);
        int[] t = new int[10];
        for (int i = 0; i < 10; i++) {
            t[i] = Arrays.binarySearch(T, s[i]);
        }
        // ComfyUI (scipy.stats.beta.ppf) gives these timesteps for 10 steps.
        assertArrayEquals(new int[] {999, 959, 876, 765, 637, 500, 362, 234, 123, 40}, t);
        // Beta(a, a) is symmetric: t_i + t_{n-i} = T - 1 (the median 499.5 rounds half to even, to 500).
        assertEquals(500, t[5]);
        for (int i = 1; i < 5; i++) {
            assertEquals(999, t[i] + t[10 - i], "i=" + i);
        }
    }

    @Test
    void betaDropsRepeatedTimestepsAsComfyUiDoes() {
        Scheduler beta = Schedulers.get("beta").create();
        assertEquals(139, beta.sigmas(SD1, 138).length);
        double[] many = beta.sigmas(SD1, 139);
        // From 139 steps on two quantiles round to the same timestep; ComfyUI keeps one: 138 levels.
        assertEquals(139, many.length);
        Sigmas.check(many);
        double[] thousand = beta.sigmas(SD1, 1000);
        assertTrue(thousand.length < 1001);
        Sigmas.check(thousand);
        assertEquals(SMAX, thousand[0]);
        assertEquals(SMIN, thousand[thousand.length - 2]);
    }

    @Test
    void linearQuadraticMatchesHandComputedMochiValues() {
        ModelSampling flow = FlowSampling.sd3(1.0);
        Scheduler lq = Schedulers.get("linear_quadratic").create();
        assertArrayEquals(new double[] {1, 0}, lq.sigmas(flow, 1), 1e-12);
        // 2 steps: L = 1, u = [0, tau, 1].
        assertArrayEquals(new double[] {1, 0.975, 0}, lq.sigmas(flow, 2), 1e-12);
        // 4 steps: L = 2; linear u = 0, 0.0125; quadratic qc = 1.9/8 = 0.2375, lc = 0.0125 - 0.95 = -0.9375,
        // c = 0.95: u(2) = 0.025, u(3) = 2.1375 - 2.8125 + 0.95 = 0.275.
        assertArrayEquals(new double[] {1, 0.9875, 0.975, 0.725, 0}, lq.sigmas(flow, 4), 1e-12);
        // On SD1 the same shape scaled by sigma_max.
        double[] sd = lq.sigmas(SD1, 4);
        double[] expected = {SMAX, 0.9875 * SMAX, 0.975 * SMAX, 0.725 * SMAX, 0};
        assertArrayEquals(expected, sd, 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.get("linear_quadratic").create(Map.of("linear_steps", 4)).sigmas(flow, 4));
        assertEquals("scheduler linear_quadratic: linear_steps = 4 must be below steps = 4; allowed: 0 (= steps / 2) or 1..3",
                e.getMessage());
    }

    @Test
    void aysTenStepsIsThePublishedList() {
        double[] published = {14.6146412293, 6.4745760956, 3.8636745985, 2.6946151520, 1.8841921177,
            1.3943805092, 0.9642583904, 0.6523686016, 0.3977456272, 0.1515232662, 0};
        assertArrayEquals(published, Schedulers.get("ays").create().sigmas(SD1, 10), 0);
        double[] sdxl = Schedulers.get("ays").create(Map.of("model_type", "SDXL")).sigmas(SD1, 10);
        assertEquals(6.3184485287, sdxl[1]);
        double[] svd = Schedulers.get("ays").create(Map.of("model_type", "svd")).sigmas(SD1, 10);
        assertEquals(700.0, svd[0]);
        assertEquals(0.034, svd[9]);
    }

    @Test
    void aysOtherStepCountsInterpolateLogSigma() {
        double[] p = AlignYourStepsScheduler.SD1;
        double[] s20 = Schedulers.get("ays").create().sigmas(SD1, 20);
        assertEquals(21, s20.length);
        assertEquals(14.6146412293, s20[0], 1e-12);
        assertEquals(0.0, s20[20]);
        for (int k = 0; k < 10; k++) {
            // Even positions are the published levels, odd ones their geometric means.
            assertEquals(p[k], s20[2 * k], 1e-12 * p[k], "k=" + k);
            assertEquals(Math.sqrt(p[k] * p[k + 1]), s20[2 * k + 1], 1e-12 * p[k], "k=" + k);
        }
        // 5 steps sit on every other published level.
        double[] s5 = Schedulers.get("ays").create().sigmas(SD1, 5);
        for (int i = 0; i < 5; i++) {
            assertEquals(p[2 * i], s5[i], 1e-12 * p[2 * i]);
        }
        // 4 steps: position i/4 = 2.5 i tenths: log sigma halfway between published levels 2 and 3.
        double[] s4 = Schedulers.get("ays").create().sigmas(SD1, 4);
        assertEquals(Math.sqrt(p[2] * p[3]), s4[1], 1e-12);
        assertEquals(p[5], s4[2], 1e-12);
    }
}
