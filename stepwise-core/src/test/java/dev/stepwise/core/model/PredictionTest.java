package dev.stepwise.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.tensor.Tensor;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every parameterisation against exact data: x0 drawn from a Gaussian mixture, noise n, a noise level
 * sigma, the noisy x built from them, and a fake network that returns what an ideal network of that
 * parameterisation outputs, computed from the definitions (not from Prediction):
 * <ul>
 *   <li>eps (Ho et al. 2020): the noise n; the network sees the VP variable x / sqrt(1 + sigma^2) =
 *       alpha x0 + sigma_vp n with alpha = 1 / sqrt(1 + sigma^2), sigma_vp = sigma alpha;</li>
 *   <li>v (Salimans and Ho 2022): v = alpha n - sigma_vp x0 in those VP variables;</li>
 *   <li>x0: x0 itself;</li>
 *   <li>flow (Liu et al. 2023; SD3): x = (1 - sigma) x0 + sigma n, velocity v = n - x0.</li>
 * </ul>
 * NetworkDenoiser must then return x0 to float rounding, and feed the network the right input and timestep.
 */
class PredictionTest {
    static final int DIM = 3;
    static final int BATCH = 64;

    /** x0 rows from a 3-D mixture, and noise rows, both exact. */
    record Data(double[][] x0, double[][] n) {
    }

    static Data data(long seed) {
        GaussianMixture gm = new GaussianMixture(DIM, List.of(
                new GaussianMixture.Component(0.3, new double[] {2, -1, 0.5}, 0.3, null),
                new GaussianMixture.Component(0.7, new double[] {-1.5, 1, 3}, 0.8, null)), 0.002, 80);
        TorchGenerator g = new TorchGenerator(seed);
        double[][] x0 = gm.sample(BATCH, 0, Conditioning.NONE, g);
        double[][] n = new double[BATCH][DIM];
        for (double[] row : n) {
            for (int j = 0; j < DIM; j++) {
                row[j] = g.nextGaussian();
            }
        }
        return new Data(x0, n);
    }

    interface Ideal {
        /** The ideal raw output for one value, given x0, n and sigma. */
        double raw(double x0, double n, double sigma);
    }

    /**
     * Runs NetworkDenoiser on x = x0 + sigma n (VE) or (1 - sigma) x0 + sigma n (flow) with a network
     * returning ideal outputs; checks the network input (expectedInput) and timestep, returns max |D - x0|
     * divided by its float-rounding scale.
     */
    static void check(ModelSampling sampling, double sigma, Ideal ideal, Ideal expectedInput, Data d) {
        boolean flow = sampling.isFlow();
        Tensor x = Tensor.zeros(BATCH, DIM), out = Tensor.zeros(BATCH, DIM);
        for (int i = 0; i < BATCH; i++) {
            for (int j = 0; j < DIM; j++) {
                double x0 = d.x0[i][j], n = d.n[i][j];
                x.data()[i * DIM + j] = (float) (flow ? (1 - sigma) * x0 + sigma * n : x0 + sigma * n);
            }
        }
        List<Conditioning> cond = Collections.nCopies(BATCH, Conditioning.NONE);
        double[] seenTimestep = {Double.NaN};
        Network net = (input, timestep, c, raw) -> {
            assertSame(cond, c, "conditioning passed through");
            seenTimestep[0] = timestep;
            for (int i = 0; i < BATCH; i++) {
                for (int j = 0; j < DIM; j++) {
                    double x0 = d.x0[i][j], n = d.n[i][j];
                    double want = expectedInput.raw(x0, n, sigma);
                    double got = input.data()[i * DIM + j];
                    assertEquals(want, got, 4e-7 * (Math.abs(x0) + sigma * Math.abs(n) + 1), "network input");
                    raw.data()[i * DIM + j] = (float) ideal.raw(x0, n, sigma);
                }
            }
        };
        new NetworkDenoiser(net, sampling).denoise(x, sigma, cond, out);
        assertEquals(sampling.timestep(sigma), seenTimestep[0], 0.0);
        for (int i = 0; i < BATCH; i++) {
            for (int j = 0; j < DIM; j++) {
                double x0 = d.x0[i][j], n = d.n[i][j];
                // float32 rounding of x, of the raw output and of the two-term combination: a few ulps of
                // the largest magnitude involved.
                double scale = Math.abs(x0) + sigma * Math.abs(n) + 1e-3;
                assertEquals(x0, out.data()[i * DIM + j], 6e-7 * scale,
                        sampling.prediction() + " sigma " + sigma + " row " + i);
            }
        }
    }

    static double alpha(double s) {
        return 1 / Math.sqrt(1 + s * s);
    }

    static final double[] VP_SIGMAS = {0.0292, 0.1, 0.5, 1, 2.5, 7, 14.6146};

    @Test
    void epsPredictionRecoversX0() {
        Data d = data(1);
        ModelSampling vp = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
        for (double s : VP_SIGMAS) {
            check(vp, s, (x0, n, sig) -> n, (x0, n, sig) -> alpha(sig) * x0 + sig * alpha(sig) * n, d);
        }
    }

    @Test
    void vPredictionRecoversX0() {
        Data d = data(2);
        ModelSampling vp = DiscreteVpSampling.stableDiffusion(Prediction.V);
        for (double s : VP_SIGMAS) {
            check(vp, s, (x0, n, sig) -> alpha(sig) * n - sig * alpha(sig) * x0,
                    (x0, n, sig) -> alpha(sig) * x0 + sig * alpha(sig) * n, d);
        }
    }

    @Test
    void x0PredictionRecoversX0() {
        Data d = data(3);
        ModelSampling vp = DiscreteVpSampling.stableDiffusion(Prediction.X0);
        for (double s : VP_SIGMAS) {
            check(vp, s, (x0, n, sig) -> x0, (x0, n, sig) -> alpha(sig) * x0 + sig * alpha(sig) * n, d);
        }
    }

    @Test
    void flowPredictionRecoversX0() {
        Data d = data(4);
        for (FlowSampling f : new FlowSampling[] {FlowSampling.sd3(3), FlowSampling.flux(1.15)}) {
            for (double s : new double[] {0.001, 0.05, 0.3, 0.5, 0.8, 0.99, 1.0}) {
                check(f, s, (x0, n, sig) -> n - x0, (x0, n, sig) -> (1 - sig) * x0 + sig * n, d);
            }
        }
    }

    /** EDM-style continuous VE: c_in = 1 / sqrt(sigma^2 + sigma_data^2), t = ln(sigma) / 4. */
    @Test
    void continuousVeEpsAndX0RecoverX0() {
        Data d = data(5);
        double sd = 0.5;
        ContinuousVeSampling eps = new ContinuousVeSampling(0.002, 80, sd, Prediction.EPS);
        ContinuousVeSampling x0p = ContinuousVeSampling.exact(0.002, 80);
        for (double s : new double[] {0.002, 0.1, 1, 10, 80}) {
            check(eps, s, (x0, n, sig) -> n, (x0, n, sig) -> (x0 + sig * n) / Math.sqrt(sig * sig + sd * sd), d);
            check(x0p, s, (x0, n, sig) -> x0, (x0, n, sig) -> (x0 + sig * n) / Math.sqrt(sig * sig + 1), d);
            assertEquals(Math.log(s) / 4, eps.timestep(s), 1e-15);
            assertEquals(s, eps.sigma(eps.timestep(s)), 1e-13 * s);
        }
    }

    /**
     * The table that table-walking schedulers index: ComfyUI's ModelSamplingContinuousEDM buffer,
     * exp(linspace(ln 0.002, ln 80, 1000)) in float32; ours is the same in float64, so within float32
     * rounding of the log (up to ulp(ln 80) ~ 5e-7 relative after exp) and of the exp.
     */
    @Test
    void continuousVeTableMatchesComfyUi() {
        float[] comfy = dev.stepwise.core.io.NpyFixtures.floats("comfy_edm_sigmas_0.002_80.npy");
        double[] ours = ContinuousVeSampling.exact(0.002, 80).sigmaTable();
        assertEquals(comfy.length, ours.length);
        for (int i = 0; i < ours.length; i++) {
            assertEquals(comfy[i], ours[i], 1e-6 * ours[i], "sigma " + i);
        }
    }

    @Test
    void parseAcceptsComfyUiNames() {
        assertEquals(Prediction.V, Prediction.parse("v_prediction"));
        assertEquals(Prediction.EPS, Prediction.parse("EPS"));
        assertEquals(Prediction.FLOW, Prediction.parse("flow"));
        var e = assertThrows(IllegalArgumentException.class, () -> Prediction.parse("sample"));
        assertEquals("unknown prediction type 'sample'; allowed: eps, v, x0, flow", e.getMessage());
    }
}
