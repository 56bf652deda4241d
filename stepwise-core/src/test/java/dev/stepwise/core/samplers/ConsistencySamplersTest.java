package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Denoiser;
import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.Prediction;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.core.testing.FlowMixture;
import dev.stepwise.core.testing.SamplerRuns;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the consistency samplers lcm and tcd compute, checked exactly (they do not converge to the data
 * distribution with an ordinary denoiser, see {@link StochasticDistributionTest#NOT_CONVERGENT}): lcm's step is
 * "x0 estimate, then the forward process's fresh noise to the next level"; on Gaussian data both samplers are linear
 * maps plus independent noise, so their output law is Gaussian with a mean and variance that follow a closed-form
 * recursion over the steps, which the samples must match; tcd at gamma = 0 is DDIM, i.e. Euler.
 */
class ConsistencySamplersTest {
    static final GaussianMixture BIMODAL = new GaussianMixture(2, List.of(
            new GaussianMixture.Component(0.3, new double[] {-2, 1}, 0.3, null),
            new GaussianMixture.Component(0.7, new double[] {1.5, -0.5}, 0.6, null)), 0.002, 80);
    static final int ROWS = 20000;
    static final double Z = 4.5;

    static float[] denoise(Denoiser d, float[] x, double sigma) {
        int rows = x.length / 2;
        Tensor out = Tensor.zeros(rows, 2);
        d.denoise(Tensor.wrap(x.clone(), rows, 2), sigma, Collections.nCopies(rows, Conditioning.NONE), out);
        return out.data();
    }

    /** One step onto sigma = 0 returns the model's x0 estimate, the exact posterior mean E[x0 | x]. */
    @Test
    void oneLcmStepIsThePosteriorMean() {
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 3, 256, 4);
        float[] x = SamplerRuns.run(Lcm.INFO, Map.of(), BIMODAL.model("bimodal"), start, new double[] {3, 0}, 1).x();
        float[] mean = denoise(BIMODAL, start, 3);
        for (int i = 0; i < x.length; i++) {
            assertEquals(mean[i], x[i], 0, "row value " + i);
        }
    }

    /**
     * A step onto sigma_1 > 0 adds fresh N(0, sigma_1^2) noise to the x0 estimate (flow: (1 - sigma_1) D + sigma_1 n):
     * the residual, scaled, is standard normal (mean and variance within 4.5 standard errors), and changes with the seed.
     */
    @Test
    void lcmRenoisesWithFreshNoiseOfTheNextLevel() {
        checkRenoising(BIMODAL.model("bimodal"), BIMODAL, 2.0, 0.7, 1);
        Model flow = FlowMixture.model(BIMODAL, 3.0);
        checkRenoising(flow, flow.denoiser(), 0.8, 0.4, 1 - 0.4);
    }

    private static void checkRenoising(Model model, Denoiser d, double sigma, double sigmaNext, double signal) {
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, sigma, ROWS / 4, 8);
        float[] mean = denoise(d, start, sigma);
        float[] a = SamplerRuns.run(Lcm.INFO, Map.of(), model, start, new double[] {sigma, sigmaNext}, 1).x();
        float[] b = SamplerRuns.run(Lcm.INFO, Map.of(), model, start, new double[] {sigma, sigmaNext}, 2).x();
        double s = 0, s2 = 0, cross = 0;
        int n = a.length;
        for (int i = 0; i < n; i++) {
            double za = (a[i] - signal * mean[i]) / sigmaNext, zb = (b[i] - signal * mean[i]) / sigmaNext;
            s += za;
            s2 += za * za;
            cross += za * zb;
        }
        double m = s / n, v = s2 / n - m * m;
        assertTrue(Math.abs(m) < Z / Math.sqrt(n), model.name() + ": noise mean " + m);
        assertTrue(Math.abs(v - 1) < Z * Math.sqrt(2.0 / n), model.name() + ": noise variance " + v);
        assertTrue(Math.abs(cross / n) < Z / Math.sqrt(n), model.name() + ": noise of two seeds correlated, " + cross / n);
    }

    /** Gaussian data N(mu, s^2 I) with mu = (1, -2), s = 0.5. */
    static final double[] MU = {1, -2};
    static final double S = 0.5;

    /**
     * On Gaussian data the x0 estimate is affine, D = mu + a (x - mu) with a = s^2 / (s^2 + sigma^2), so a step of
     * lcm maps (mean m, variance v) per coordinate to (mu + a (m - mu), a^2 v + sigma_{i+1}^2), and a step of tcd, which
     * lands at x_s = D + sigma_s (x - D) / sigma_i = mu + c (x - mu), c = a + (sigma_s / sigma_i)(1 - a), and then adds
     * sigma_{i+1}^2 - sigma_s^2 of noise, to (mu + c (m - mu), c^2 v + sigma_{i+1}^2 - sigma_s^2). For this continuous VE
     * model tcd's level is sigma_s = sigma_min^gamma sigma_{i+1}^(1 - gamma) (timestep log(sigma) / 4, measured from
     * sigma_min). The samples' mean and variance must match the recursion within 4.5 standard errors, and the
     * variance is visibly not the data's s^2 = 0.25.
     */
    @Test
    void onGaussianDataTheOutputLawFollowsTheExactRecursion() {
        GaussianMixture g = GaussianMixture.gaussian(MU, S, 0.002, 80);
        double[] sigmas = SamplerRuns.karrasWithZero(0.002, 80, 10);
        double[] center = {0, 0};
        float[] start = SamplerRuns.startAt(center, sigmas[0], ROWS / 2, 21);
        for (double gamma : new double[] {-1, 0.3, 0.7}) {
            boolean lcm = gamma < 0;
            double[] m = center.clone();
            double v = sigmas[0] * sigmas[0];
            for (int i = 0; i < sigmas.length - 1; i++) {
                double a = S * S / (S * S + sigmas[i] * sigmas[i]);
                double next = sigmas[i + 1];
                double sigmaS = lcm || next == 0 ? 0 : Math.pow(0.002, gamma) * Math.pow(next, 1 - gamma);
                double c = a + sigmaS / sigmas[i] * (1 - a);
                for (int j = 0; j < 2; j++) {
                    m[j] = MU[j] + c * (m[j] - MU[j]);
                }
                v = c * c * v + next * next - sigmaS * sigmaS;
            }
            float[] x = lcm
                    ? SamplerRuns.run(Lcm.INFO, Map.of(), g.model("g"), start, sigmas, 5).x()
                    : SamplerRuns.run(Tcd.INFO, Map.of("eta", gamma), g.model("g"), start, sigmas, 5).x();
            String name = lcm ? "lcm" : "tcd gamma " + gamma;
            for (int j = 0; j < 2; j++) {
                double s = 0, s2 = 0;
                int n = x.length / 2;
                for (int r = 0; r < n; r++) {
                    s += x[2 * r + j];
                    s2 += (double) x[2 * r + j] * x[2 * r + j];
                }
                double mean = s / n, var = s2 / n - mean * mean;
                assertEquals(m[j], mean, Z * Math.sqrt(v / n), name + ": mean of coordinate " + j);
                assertEquals(v, var, Z * v * Math.sqrt(2.0 / n), name + ": variance of coordinate " + j);
            }
            assertTrue(Math.abs(v - S * S) > 0.01, name + ": predicted variance " + v + " should differ from the data's");
        }
    }

    /** gamma = 0: s = t_{i+1}, no noise; x_{i+1} = D + sigma_{i+1} (x - D) / sigma_i is DDIM, the Euler step of the ODE. */
    @Test
    void tcdAtGammaZeroIsEuler() {
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 80, 64, 11);
        double[] sigmas = SamplerRuns.karrasWithZero(0.002, 80, 12);
        float[] euler = SamplerRuns.run(Euler.INFO, Map.of(), BIMODAL.model("bimodal"), start, sigmas, 0).x();
        float[] tcd = SamplerRuns.run(Tcd.INFO, Map.of("eta", 0), BIMODAL.model("bimodal"), start, sigmas, 0).x();
        for (int i = 0; i < euler.length; i++) {
            assertEquals(euler[i], tcd[i], 2e-5, "value " + i);
        }
    }

    /**
     * tcd's level sigma_s is at the time (1 - gamma) t(sigma_{i+1}): for SD3 flow (shift 3, sigma = 3t / (1 + 2t)) from
     * sigma_{i+1} = 0.6, t = 1/3, so sigma_s = 3 (0.7 / 3) / (1 + 2 (0.7 / 3)) = 0.47727...; for a discrete VP model
     * the floored nearest table index; for the continuous VE model sigma_min^gamma sigma_{i+1}^(1 - gamma).
     */
    @Test
    void tcdJumpLevelIsAtTheEarlierTime() {
        assertEquals(0.7 / (1 + 1.4 / 3), Tcd.jumpLevel(dev.stepwise.core.model.FlowSampling.sd3(3), 0.6, 0.3), 1e-12);
        DiscreteVpSampling vp = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
        double[] table = vp.sigmaTable();
        assertEquals(table[(int) Math.floor(0.7 * 500)], Tcd.jumpLevel(vp, table[500], 0.3), 1e-7);  // the table holds float32 values
        assertEquals(Math.pow(0.002, 0.3) * Math.pow(1.7, 0.7), Tcd.jumpLevel(BIMODAL.sampling(), 1.7, 0.3), 1e-12);
    }

    /**
     * On a discrete VP model, as ComfyUI's sample_tcd, the step onto sigma = 0 lands on the VP sample at timestep 0:
     * x = (D + sigma_0 (x - D) / sigma) / sqrt(1 + sigma_0^2), sigma_0 the table's first level.
     */
    @Test
    void tcdLastStepOnDiscreteVpLandsAtTimestepZero() {
        DiscreteVpSampling vp = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
        Model model = new Model("vp", BIMODAL, vp, new int[] {2});
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 1.5, 64, 3);
        float[] x = SamplerRuns.run(Tcd.INFO, Map.of(), model, start, new double[] {1.5, 0}, 1).x();
        float[] d = denoise(BIMODAL, start, 1.5);
        double s0 = vp.sigmaTable()[0];
        for (int i = 0; i < x.length; i++) {
            double expected = (d[i] + s0 * (start[i] - d[i]) / 1.5) / Math.sqrt(1 + s0 * s0);
            assertEquals(expected, x[i], 2e-6, "value " + i);
        }
    }
}
