package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.StochasticAdams;
import dev.stepwise.core.testing.SamplerRuns;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/** Facts of er_sde, seeds_2/3, sa_solver(_pece) and restart that the generic registry tests do not reach. */
class SdeSolverFactsTest {

    /**
     * SA-Solver's b_j = alpha_t int_{l_s}^{l_t} k e^{k (l - l_t)} L_j(l) dl, k = 1 + tau^2, against composite Simpson
     * quadrature of the same integral with 20000 panels; and the one-node case in closed form, alpha_t (1 - e^{-k h}).
     */
    @Test
    void stochasticAdamsCoefficientsAreTheLagrangeIntegrals() {
        double[][] nodeSets = {{-1.3, -1.1, -0.8, -0.6}, {0.2, 0.5}, {-2, -1.7, -1.5, -1.2, -1.0, -0.9}, {3.0, 2.9, 2.75}};
        double[][] steps = {{-0.6, -0.35}, {0.5, 0.9}, {-0.9, -0.7}, {2.75, 3.2}};
        for (int c = 0; c < nodeSets.length; c++) {
            double[] nodes = nodeSets[c];
            double ls = steps[c][0], lt = steps[c][1];
            for (double tau : new double[] {0, 0.7, 1.3}) {
                double k = 1 + tau * tau, alpha = 0.8;
                double[] b = StochasticAdams.coefficients(nodes, ls, lt, tau, alpha);
                for (int j = 0; j < nodes.length; j++) {
                    int jj = j;
                    DoubleUnaryOperator integrand = l -> {
                        double basis = 1;
                        for (int m = 0; m < nodes.length; m++) {
                            if (m != jj) {
                                basis *= (l - nodes[m]) / (nodes[jj] - nodes[m]);
                            }
                        }
                        return k * Math.exp(k * (l - lt)) * basis;
                    };
                    double expected = alpha * simpson(integrand, ls, lt, 20000);
                    assertEquals(expected, b[j], 1e-10 * Math.max(1, Math.abs(expected)), "nodes " + c + ", tau " + tau + ", b_" + j);
                }
            }
        }
        double h = 0.37, tau = 0.5;
        assertEquals(0.9 * -Math.expm1(-(1 + tau * tau) * h), StochasticAdams.coefficients(new double[] {1}, 1, 1 + h, tau, 0.9)[0], 1e-15);
    }

    static double simpson(DoubleUnaryOperator f, double a, double b, int panels) {
        double w = (b - a) / panels, s = f.applyAsDouble(a) + f.applyAsDouble(b);
        for (int i = 1; i < panels; i++) {
            s += (i % 2 == 0 ? 2 : 4) * f.applyAsDouble(a + i * w);
        }
        return s * w / 3;
    }

    /** ER-SDE's stage integrals S_1 = int dl / f and S_2 = int (l - l_s) / f against closed forms for f = l and f = l^2. */
    @Test
    void erSdeIntegralsMatchClosedForms() {
        double a = 0.013, b = 0.9;
        assertEquals(Math.log(b / a), ErSde.integral(l -> l, a, b, 0, b), 1e-13);
        assertEquals((b - a) - b * Math.log(b / a), ErSde.integral(l -> l, a, b, 1, b), 1e-13);
        assertEquals(1 / a - 1 / b, ErSde.integral(l -> l * l, a, b, 0, b), 1e-10 * (1 / a));
        assertEquals(Math.log(b / a) - b * (1 / a - 1 / b), ErSde.integral(l -> l * l, a, b, 1, b), 1e-10 * (b / a));
        // The paper's default scaler against Simpson in l (fine panels, smooth away from 0).
        DoubleUnaryOperator f = l -> l * (Math.exp(Math.pow(l, 0.3)) + 10);
        assertEquals(simpson(l -> 1 / f.applyAsDouble(l), 0.5, 7, 20000), ErSde.integral(f, 0.5, 7, 0, 7), 1e-11);
        assertEquals(simpson(l -> (l - 7) / f.applyAsDouble(l), 0.5, 7, 20000), ErSde.integral(f, 0.5, 7, 1, 7), 1e-11);
    }

    /** er_sde's ode noise scale makes stage 1 DDIM, i.e. Euler: with max_stage 1 the two agree to rounding. */
    @Test
    void erSdeFirstStageOdeIsEuler() {
        var g = GaussianMixture.gaussian(new double[] {0.5, -1}, 0.4, 0.002, 80);
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 80, 64, 2);
        double[] sigmas = SamplerRuns.karrasWithoutZero(0.05, 80, 15);
        float[] euler = SamplerRuns.run(Euler.INFO, Map.of(), g.model("g"), start, sigmas, 0).x();
        float[] er = SamplerRuns.run(ErSde.INFO, Map.of("solver_type", "ode", "max_stage", 1), g.model("g"), start, sigmas, 0).x();
        for (int i = 0; i < euler.length; i++) {
            assertEquals(euler[i], er[i], 2e-5 * Math.max(1, Math.abs(euler[i])), "value " + i);
        }
    }

    /**
     * Restart's model calls under A1111's automatic rule, counted by hand: 19 steps: no restart, Heun, 18 * 2 + 1 = 37.
     * 24 steps: K = 1 restart of 9 steps, main run rebuilt with 15 steps: 14 * 2 + 1 + 9 * 2 = 47. 40 steps: K = 2
     * restarts of 10 steps, main run 20 steps: 19 * 2 + 1 + 2 * 10 * 2 = 79.
     */
    @Test
    void restartCallsFollowTheAutomaticRule() {
        var g = GaussianMixture.gaussian(new double[] {0.5, -1}, 0.5, 0.002, 80);
        int[][] expected = {{19, 37}, {24, 47}, {40, 79}};
        for (int[] e : expected) {
            SampleResult r = Stepwise.sample(SampleRequest.builder(g.model("g")).sampler("restart").scheduler("karras")
                    .steps(e[0]).seed(1).batch(2).build());
            assertEquals(e[1], r.calls().nfe(), "restart over " + e[0] + " steps");
            assertEquals(e[1], Restart.INFO.expectedNfe(r.sigmas()), "registry rule over " + e[0] + " steps");
        }
    }

    /** Without restarts it is Heun exactly; with explicit restarts it adds noise (depends on the seed). */
    @Test
    void restartWithoutRestartsIsHeun() {
        var g = GaussianMixture.gaussian(new double[] {0.5, -1}, 0.5, 0.002, 80);
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 80, 16, 2);
        double[] sigmas = SamplerRuns.karrasWithZero(0.002, 80, 12);
        assertArrayEquals(SamplerRuns.run(Heun.INFO, Map.of(), g.model("g"), start, sigmas, 1).x(),
                SamplerRuns.run(Restart.INFO, Map.of(), g.model("g"), start, sigmas, 1).x());
        Map<String, Object> explicit = Map.of("restart_times", 2, "restart_steps", 3);
        float[] a = SamplerRuns.run(Restart.INFO, explicit, g.model("g"), start, sigmas, 1).x();
        float[] b = SamplerRuns.run(Restart.INFO, explicit, g.model("g"), start, sigmas, 2).x();
        assertTrue(dev.stepwise.core.tensor.Vec.rmsDistance(a, b) > 0.01, "explicit restarts should add noise");
    }

    /**
     * SA-Solver's noise interval comes from ComfyUI's percent_to_sigma: discrete VP sigma((1 - p) 999), continuous VE
     * (EDM) exp(log sigma_min + (1 - p)(log sigma_max - log sigma_min)), flow the shifted level at time 1 - p.
     */
    @Test
    void percentToSigmaFollowsComfyUi() {
        var vp = dev.stepwise.core.model.DiscreteVpSampling.stableDiffusion(dev.stepwise.core.model.Prediction.EPS);
        assertEquals(vp.sigma(0.8 * 999), dev.stepwise.core.sampling.PercentSigma.of(vp, 0.2), 1e-12);
        var ve = GaussianMixture.gaussian(new double[] {0}, 1, 0.002, 80).sampling();
        assertEquals(Math.exp(Math.log(0.002) + 0.2 * (Math.log(80) - Math.log(0.002))),
                dev.stepwise.core.sampling.PercentSigma.of(ve, 0.8), 1e-12);
        var flow = dev.stepwise.core.model.FlowSampling.sd3(3);
        assertEquals(3 * 0.3 / (1 + 2 * 0.3), dev.stepwise.core.sampling.PercentSigma.of(flow, 0.7), 1e-12);
        assertEquals(0, dev.stepwise.core.sampling.PercentSigma.of(flow, 1));
    }

    @Test
    void badParametersNameTheParameterAndRange() {
        expect(ErSde.INFO, Map.of("max_stage", 4), "max_stage", "1..3");
        expect(ErSde.INFO, Map.of("max_stage", 0), "max_stage", "1..3");
        expect(ErSde.INFO, Map.of("solver_type", "sde"), "solver_type", "er_sde|reverse_time_sde|ode");
        expect(SaSolver.INFO, Map.of("predictor_order", 7), "predictor_order", "1..6");
        expect(SaSolver.INFO, Map.of("predictor_order", 0), "predictor_order", "1..6");
        expect(SaSolverPece.INFO, Map.of("corrector_order", -1), "corrector_order", "0..6");
        expect(SaSolver.INFO, Map.of("sde_start_percent", 1.5), "sde_start_percent", "[0, 1]");
        expect(Seeds2.INFO, Map.of("r", 0), "r", "(0, 1]");
        expect(Seeds2.INFO, Map.of("solver_type", "midpoint"), "solver_type", "phi_1|phi_2");
        expect(Seeds3.INFO, Map.of("r_1", 0.7, "r_2", 0.5), "r_1", "r_2");
        expect(Tcd.INFO, Map.of("eta", 1.5), "eta", "[0, 1]");
        expect(Restart.INFO, Map.of("restart_steps", 4), "restart_steps", "restart_times");
        expect(Restart.INFO, Map.of("t_min", 3), "t_min", "t_max");
        expect(Restart.INFO, Map.of("restart_times", -2), "restart_times", "-1..100");
    }

    private static void expect(SamplerInfo info, Map<String, ?> params, String... words) {
        var e = assertThrows(IllegalArgumentException.class, () -> info.create(params), info.name() + " " + params);
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), e.getMessage() + " should name " + w);
        }
    }
}
