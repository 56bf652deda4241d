package dev.stepwise.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.io.NpyFixtures;
import org.junit.jupiter.api.Test;

/**
 * Discrete VP schedules against their defining formulas, written out again here in double precision,
 * against published Stable Diffusion 1.5 numbers, and against ComfyUI's ModelSamplingDiscrete buffers as
 * re-computed with torch by tools/fixtures/make_torch_noise.py.
 */
class DiscreteVpSamplingTest {
    static final int T = 1000;

    /** alpha_bar_t = prod_{s <= t} (1 - beta_s). */
    static double[] alphaBar(double[] betas) {
        double[] a = new double[betas.length];
        double p = 1;
        for (int i = 0; i < betas.length; i++) {
            p *= 1 - betas[i];
            a[i] = p;
        }
        return a;
    }

    /** sigma_t = sqrt((1 - alpha_bar_t) / alpha_bar_t), as the float32 a ComfyUI buffer holds. */
    static double[] sigmas(double[] alphaBar) {
        double[] s = new double[alphaBar.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = (float) Math.sqrt((1 - alphaBar[i]) / alphaBar[i]);
        }
        return s;
    }

    /** SD1.x: beta_i = (sqrt(0.00085) + i / 999 (sqrt(0.012) - sqrt(0.00085)))^2, i = 0..999. */
    static double[] sdBetas() {
        double[] b = new double[T];
        for (int i = 0; i < T; i++) {
            double r = Math.sqrt(0.00085) + i * (Math.sqrt(0.012) - Math.sqrt(0.00085)) / (T - 1);
            b[i] = r * r;
        }
        return b;
    }

    @Test
    void stableDiffusionSigmaRangeIsThePublishedOne() {
        DiscreteVpSampling sd = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
        double[] expected = sigmas(alphaBar(sdBetas()));
        assertEquals(expected[0], sd.sigmaMin(), 0.0);
        assertEquals(expected[T - 1], sd.sigmaMax(), 0.0);
        // The figures quoted for SD1.x everywhere (k-diffusion, A1111, ComfyUI): 0.0292 and 14.6146.
        assertEquals(0.0292, sd.sigmaMin(), 5e-5);
        assertEquals(14.6146, sd.sigmaMax(), 5e-5);
        double[] table = sd.sigmaTable();
        assertEquals(T, table.length);
        for (int i = 0; i < T; i++) {
            assertEquals(expected[i], table[i], 0.0, "sigma " + i);
        }
    }

    /**
     * ComfyUI's buffers (sigmas and log_sigmas, float32) for SD1.x, SD1.x with zero terminal SNR, DDPM
     * linear (ComfyUI "sqrt_linear") and cosine betas, made with torch from ComfyUI's formulas.
     */
    @Test
    void tablesMatchComfyUiModelSamplingDiscrete() {
        check("sd15", DiscreteVpSampling.stableDiffusion(Prediction.EPS));
        check("sd15_zsnr", new DiscreteVpSampling(Prediction.V, BetaSchedule.SCALED_LINEAR, 0.00085, 0.012, T, true));
        check("ddpm_linear", new DiscreteVpSampling(Prediction.EPS, BetaSchedule.LINEAR, 1e-4, 2e-2, T, false));
        check("cosine", new DiscreteVpSampling(Prediction.EPS, BetaSchedule.COSINE, 1e-4, 2e-2, T, false));
    }

    private static void check(String name, DiscreteVpSampling s) {
        float[] sig = NpyFixtures.floats("comfy_sigmas_" + name + ".npy");
        float[] logSig = NpyFixtures.floats("comfy_log_sigmas_" + name + ".npy");
        double[] table = s.sigmaTable();
        assertEquals(sig.length, table.length);
        for (int i = 0; i < sig.length; i++) {
            // Bit for bit (torch.linspace and a + (b - a) i / (n - 1) could differ in a double's last bit;
            // on these four tables that never reaches the float32 result).
            assertEquals(sig[i], table[i], 0.0, name + " sigma " + i);
            // At an integer timestep sigma(t) = exp(log_sigmas[t]): ComfyUI's float32 log buffer.
            assertEquals(Math.exp(logSig[i]), s.sigma(i), 0.0, name + " exp(log_sigma) " + i);
        }
    }

    @Test
    void timestepInvertsSigmaAtIntegerAndFractionalTimesteps() {
        DiscreteVpSampling sd = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
        for (int t = 0; t < T; t++) {
            assertEquals(t, sd.timestep(sd.sigma(t)), 1e-9, "t " + t);
        }
        for (double t = 0; t <= T - 1; t += 0.37) {
            assertEquals(t, sd.timestep(sd.sigma(t)), 1e-9, "t " + t);
        }
        assertEquals(998.5, sd.timestep(sd.sigma(998.5)), 1e-9);
        assertEquals(0.25, sd.timestep(sd.sigma(0.25)), 1e-9);
    }

    /**
     * Inside the range the round trip is exact to double rounding. At the two ends it is exact only to
     * float32: sigmaMin/sigmaMax are the float32 sigma buffer, sigma(t) is exp of the float32 log buffer
     * (as in ComfyUI and k-diffusion), and the two roundings differ by up to ~1e-7 relative.
     */
    @Test
    void sigmaInvertsTimestepInsideTheRange() {
        DiscreteVpSampling sd = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
        double lo = Math.log(sd.sigma(0)), hi = Math.log(sd.sigma(T - 1));
        for (int i = 0; i <= 1000; i++) {
            double s = Math.exp(lo + (hi - lo) * i / 1000.0);
            assertEquals(s, sd.sigma(sd.timestep(s)), s * 1e-12, "sigma " + s);
        }
        for (double s : new double[] {sd.sigmaMin(), sd.sigmaMax()}) {
            assertEquals(s, sd.sigma(sd.timestep(s)), s * 2e-7, "sigma " + s);
        }
    }

    /** Between table entries the timestep interpolates log sigma linearly (k-diffusion's sigma_to_t). */
    @Test
    void timestepInterpolatesLogSigma() {
        DiscreteVpSampling sd = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
        double[] table = sd.sigmaTable();
        double a = Math.log(table[500]), b = Math.log(table[501]);
        double s = Math.exp(0.7 * a + 0.3 * b);
        // log sigmas are stored as float32 of the float64 log, so the interpolation weight is exact to ~1e-6.
        assertEquals(500.3, sd.timestep(s), 1e-5);
    }

    @Test
    void monotoneAndClampedOutsideTheRange() {
        DiscreteVpSampling sd = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
        double[] table = sd.sigmaTable();
        for (int i = 1; i < T; i++) {
            assertTrue(table[i] > table[i - 1], "sigma table increases at " + i);
        }
        double prev = -1;
        for (double t = 0; t <= T - 1; t += 0.5) {
            double s = sd.sigma(t);
            assertTrue(s > prev, "sigma(t) increases at t = " + t);
            prev = s;
        }
        assertEquals(0, sd.timestep(sd.sigmaMin() / 2), 0.0);
        assertEquals(T - 1, sd.timestep(sd.sigmaMax() * 2), 0.0);
        assertEquals(sd.sigma(0), sd.sigma(-5), 0.0);
        assertEquals(sd.sigma(T - 1), sd.sigma(T + 5), 0.0);
        assertEquals(sd.sigmaMin(), sd.sigma(0), 2e-7 * sd.sigmaMin());
    }

    /**
     * Lin et al. (2024), "Common Diffusion Noise Schedules and Sample Steps Are Flawed", Algorithm 1:
     * sqrt(alpha_bar) is shifted so the last is 0 and scaled so the first is unchanged; ComfyUI then puts
     * alpha_bar_T = 4.8973451890853435e-08 to keep sigma_max finite.
     */
    @Test
    void zeroTerminalSnrFollowsLinEtAlAlgorithm1() {
        DiscreteVpSampling z = new DiscreteVpSampling(Prediction.V, BetaSchedule.SCALED_LINEAR, 0.00085, 0.012, T, true);
        DiscreteVpSampling plain = DiscreteVpSampling.stableDiffusion(Prediction.V);
        double[] ab = alphaBar(sdBetas());
        double s0 = Math.sqrt(ab[0]), sT = Math.sqrt(ab[T - 1]);
        double[] table = z.sigmaTable();
        for (int i = 0; i < T - 1; i++) {
            double r = (Math.sqrt(ab[i]) - sT) * s0 / (s0 - sT);
            double expected = (float) Math.sqrt((1 - r * r) / (r * r));
            assertEquals(expected, table[i], Math.ulp((float) expected), "sigma " + i);
        }
        double lastAlphaBar = 4.8973451890853435e-08;
        assertEquals((float) Math.sqrt((1 - lastAlphaBar) / lastAlphaBar), z.sigmaMax(), 0.0);
        // Back from the stored sigma: alpha_bar = 1 / (1 + sigma^2).
        assertEquals(lastAlphaBar, 1 / (1 + z.sigmaMax() * z.sigmaMax()), lastAlphaBar * 1e-6);
        assertEquals(plain.sigmaMin(), z.sigmaMin(), Math.ulp((float) plain.sigmaMin()), "first alpha_bar unchanged");
        assertEquals(4518.76, z.sigmaMax(), 0.01);
        assertTrue(z.zeroTerminalSnr());
        assertTrue(z.describe().contains("zero terminal SNR"));
    }

    /**
     * Names follow diffusers: LINEAR is linspace(start, end) (DDPM, Ho et al. 2020; CompVis/ComfyUI call it
     * "sqrt_linear"), SCALED_LINEAR is linspace(sqrt(start), sqrt(end))^2 (CompVis/ComfyUI call it "linear").
     */
    @Test
    void linearAndScaledLinearBetasMatchTheirNames() {
        double[] lin = BetaSchedule.LINEAR.betas(1e-4, 0.02, T);
        double[] scaled = BetaSchedule.SCALED_LINEAR.betas(0.00085, 0.012, T);
        double[] sd = sdBetas();
        for (int i = 0; i < T; i++) {
            assertEquals(1e-4 + (0.02 - 1e-4) * i / (T - 1), lin[i], 1e-18, "linear " + i);
            assertEquals(sd[i], scaled[i], 1e-18, "scaled_linear " + i);
        }
        assertEquals(1e-4, lin[0], 1e-18);
        assertEquals(0.02, lin[T - 1], 1e-17);
        assertEquals(0.00085, scaled[0], 1e-18);
        assertEquals(0.012, scaled[T - 1], 1e-17);
        // scaled_linear is convex in t (a square of a linear function), linear has constant differences.
        assertTrue(scaled[T / 2] < (scaled[0] + scaled[T - 1]) / 2);
        assertEquals(lin[1] - lin[0], lin[T - 1] - lin[T - 2], 1e-15);
        assertEquals(BetaSchedule.SCALED_LINEAR, BetaSchedule.parse("scaled_linear"));
        assertEquals(BetaSchedule.LINEAR, BetaSchedule.parse("LINEAR"));
    }

    /**
     * Nichol and Dhariwal (2021) eq. 17: alpha_bar(t) = f(t) / f(0), f(t) = cos^2((t/T + s) / (1 + s) pi/2),
     * s = 0.008, betas = 1 - alpha_bar(t+1)/alpha_bar(t) clipped to 0.999. Without clipping the cumulative
     * product of (1 - beta) telescopes back to f(t+1) / f(0).
     */
    @Test
    void cosineBetasFollowNicholAndDhariwal() {
        double[] b = BetaSchedule.COSINE.betas(1e-4, 0.02, T);
        double s = 0.008;
        double f0 = Math.pow(Math.cos(s / (1 + s) * Math.PI / 2), 2);
        double p = 1;
        int clipped = 0;
        for (int i = 0; i < T; i++) {
            double ft = Math.pow(Math.cos(((double) i / T + s) / (1 + s) * Math.PI / 2), 2);
            double ft1 = Math.pow(Math.cos(((double) (i + 1) / T + s) / (1 + s) * Math.PI / 2), 2);
            double expected = Math.min(1 - ft1 / ft, 0.999);
            assertEquals(expected, b[i], 1e-12, "beta " + i);
            if (expected == 0.999) {
                clipped++;
            }
            p *= 1 - b[i];
            if (clipped == 0) {
                assertEquals(ft1 / f0, p, 1e-12, "alpha_bar " + i);
            }
        }
        // Only the last beta reaches the clip (f(T) = cos^2(pi/2) is ~0).
        assertEquals(1, clipped);
        assertEquals(0.999, b[T - 1], 0.0);
    }

    @Test
    void badArgumentsAreRejectedClearly() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new DiscreteVpSampling(Prediction.FLOW, BetaSchedule.LINEAR, 1e-4, 0.02, T, false));
        assertTrue(e.getMessage().contains("FlowSampling"));
        e = assertThrows(IllegalArgumentException.class,
                () -> new DiscreteVpSampling(Prediction.EPS, BetaSchedule.LINEAR, 0.02, 1e-4, T, false));
        assertTrue(e.getMessage().contains("start < end"));
        e = assertThrows(IllegalArgumentException.class, () -> BetaSchedule.parse("sqrt"));
        assertTrue(e.getMessage().contains("scaled_linear, linear, cosine"));
    }
}
