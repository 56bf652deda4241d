package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.FlowSampling;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.testing.SamplerRuns;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class DeterministicSamplerFactsTest {

    /** A bimodal 2-D mixture: its denoiser is far from affine, so agreement cannot come from a linear special case. */
    private static GaussianMixture bimodal() {
        return new GaussianMixture(2, List.of(
                new GaussianMixture.Component(0.3, new double[] {-2, 1}, 0.3, null),
                new GaussianMixture.Component(0.7, new double[] {1.5, -0.5}, 0.6, null)), 0.002, 80);
    }

    /**
     * DDIM at eta = 0 (Song et al. 2021, eq. 12) is the Euler step of the probability-flow ODE (Karras et al.
     * 2022, sec. 3): x_{i+1} = D + sigma_{i+1} (x - D) / sigma_i = x + (sigma_{i+1} - sigma_i)(x - D) / sigma_i,
     * whatever D is. The two samplers compute it with different float operations, so they agree to rounding.
     */
    @Test
    void ddimAtEtaZeroIsEuler() {
        GaussianMixture g = bimodal();
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 80, 64, 11);
        for (double[] sigmas : List.of(SamplerRuns.karrasWithZero(0.002, 80, 10), SamplerRuns.karrasWithoutZero(0.05, 80, 25))) {
            float[] euler = SamplerRuns.run(Euler.INFO, Map.of(), g.model("bimodal"), start, sigmas, 0).x();
            float[] ddim = SamplerRuns.run(Ddim.INFO, Map.of("eta", 0), g.model("bimodal"), start, sigmas, 0).x();
            assertClose(euler, ddim, 2e-5, "ddim vs euler, VE, " + (sigmas.length - 1) + " steps");
        }
        // The same identity in flow form x = (1 - sigma) x0 + sigma n, with the mixture's D as an arbitrary denoiser.
        Model flow = new Model("flow", g, new FlowSampling(FlowSampling.Shift.SD3, 3, 1, 1000), new int[] {2});
        float[] flowStart = SamplerRuns.startAt(new double[] {0, 0}, 1, 64, 12);
        double[] flowSigmas = {1, 0.9, 0.75, 0.5, 0.3, 0.1, 0.02, 0};
        float[] euler = SamplerRuns.run(Euler.INFO, Map.of(), flow, flowStart, flowSigmas, 0).x();
        float[] ddim = SamplerRuns.run(Ddim.INFO, Map.of(), flow, flowStart, flowSigmas, 0).x();
        assertClose(euler, ddim, 2e-5, "ddim vs euler, flow");
    }

    /** With eta > 0 DDIM adds fresh noise: different noise seeds give different results; eta = 0 ignores the seed. */
    @Test
    void ddimIsStochasticOnlyWithPositiveEta() {
        GaussianMixture g = bimodal();
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 80, 8, 5);
        double[] sigmas = SamplerRuns.karrasWithZero(0.002, 80, 10);
        assertArrayEquals(SamplerRuns.run(Ddim.INFO, Map.of(), g.model("bimodal"), start, sigmas, 1).x(),
                SamplerRuns.run(Ddim.INFO, Map.of(), g.model("bimodal"), start, sigmas, 2).x());
        float[] a = SamplerRuns.run(Ddim.INFO, Map.of("eta", 1), g.model("bimodal"), start, sigmas, 1).x();
        float[] b = SamplerRuns.run(Ddim.INFO, Map.of("eta", 1), g.model("bimodal"), start, sigmas, 2).x();
        assertFalse(Arrays.equals(a, b));
    }

    /**
     * DDIM's eq. 12 noise in VE form is k-diffusion's ancestral split (Ho et al. 2020's posterior variance):
     * sigma_up = eta sigma_{i+1} sqrt(1 - sigma_{i+1}^2 / sigma_i^2), so DDIM with eta equals ancestral Euler with
     * the same eta and the same noise stream, to float rounding.
     */
    @Test
    void ddimWithEtaIsAncestralEuler() {
        GaussianMixture g = bimodal();
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 80, 64, 13);
        double[] sigmas = SamplerRuns.karrasWithZero(0.002, 80, 15);
        for (double eta : new double[] {0.5, 1}) {
            float[] ancestral = SamplerRuns.run(EulerAncestral.INFO, Map.of("eta", eta), g.model("bimodal"), start, sigmas, 4).x();
            float[] ddim = SamplerRuns.run(Ddim.INFO, Map.of("eta", eta), g.model("bimodal"), start, sigmas, 4).x();
            assertClose(ancestral, ddim, 2e-5, "ddim vs euler_ancestral, eta " + eta);
        }
    }

    /**
     * EDM churn (Karras et al. 2022, Algorithm 2, lines 4-6) only acts at sigma in [s_tmin, s_tmax]. For every
     * sampler that declares s_churn: with s_churn > 0 the trajectory equals the s_churn = 0 one, step for step, up
     * to the first sigma inside the window, whatever the noise seed; from that step on it depends on the noise; and
     * a window that holds no sigma of the run gives exactly the deterministic result.
     */
    @TestFactory
    Stream<DynamicTest> churnActsOnlyInsideItsSigmaWindow() {
        return Samplers.all().stream()
                .filter(info -> info.parameters().stream().anyMatch(p -> p.name().equals("s_churn")))
                .map(info -> DynamicTest.dynamicTest(info.name(), () -> checkChurnWindow(info)));
    }

    private static void checkChurnWindow(SamplerInfo info) {
        GaussianMixture g = bimodal();
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 80, 16, 9);
        double[] sigmas = SamplerRuns.karrasWithZero(0.002, 80, 12);
        List<float[]> plain = trajectory(info, Map.of(), g, start, sigmas, 1);

        // Window below every sigma > 0, or above all of them: identical to no churn.
        for (Map<String, ?> empty : List.of(Map.of("s_churn", 40, "s_tmax", 0.001),
                Map.of("s_churn", 40, "s_tmin", 100))) {
            List<float[]> t = trajectory(info, empty, g, start, sigmas, 1);
            assertArrayEquals(plain.get(plain.size() - 1), t.get(t.size() - 1), info.name() + " " + empty);
        }

        // Window [0.1, 5]: no noise before the first sigma <= 5, noise-dependent from there on.
        Map<String, ?> window = Map.of("s_churn", 40, "s_tmin", 0.1, "s_tmax", 5);
        List<float[]> a = trajectory(info, window, g, start, sigmas, 1);
        List<float[]> b = trajectory(info, window, g, start, sigmas, 2);
        int first = 0;
        while (sigmas[first] > 5) {
            first++;
        }
        assertTrue(first > 0 && sigmas[first] >= 0.1, "the test's window must start inside the run");
        for (int i = 0; i < first; i++) {
            assertArrayEquals(plain.get(i), a.get(i), info.name() + ": step " + i + " at sigma " + sigmas[i] + " is outside the window");
            assertArrayEquals(plain.get(i), b.get(i), info.name() + ": step " + i + " at sigma " + sigmas[i] + " is outside the window");
        }
        assertFalse(Arrays.equals(a.get(first), b.get(first)), info.name() + ": step " + first + " at sigma "
                + sigmas[first] + " is inside the window and should depend on the noise");
    }

    /** x after each step. */
    private static List<float[]> trajectory(SamplerInfo info, Map<String, ?> parameters, GaussianMixture g, float[] start,
                                            double[] sigmas, long seed) {
        List<float[]> xs = new ArrayList<>();
        SamplerRuns.run(info, parameters, g.model("bimodal"), start, sigmas, seed, 1, true,
                (step, steps, sigma, x, denoised) -> xs.add(x.clone()));
        assertEquals(sigmas.length - 1, xs.size());
        return xs;
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / Math.max(1, Math.abs(expected[i])));
        }
        System.out.printf("%s: largest relative difference %.3e%n", what, worst);
        assertTrue(worst <= tolerance, what + ": largest relative difference " + worst + " > " + tolerance);
    }
}
