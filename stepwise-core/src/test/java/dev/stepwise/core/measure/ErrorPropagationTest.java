package dev.stepwise.core.measure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.FlowSampling;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.model.Prediction;
import dev.stepwise.core.samplers.Samplers;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ErrorPropagationTest {
    private static final ModelSampling SD1 = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
    private static final ModelSampling SD3 = FlowSampling.sd3(1.0);

    @Test
    void eulerGainsAreThePapersStepLengthsInVeForm() {
        // VRG's DDIM objective: step i contributes (sigma_i - sigma_{i+1})^2 MSE_eps(sigma_i), i.e. an x0 error at
        // sigma_i reaches the result with gain (sigma_i - sigma_{i+1}) / sigma_i.
        double[] s = {14.6, 5.0, 1.2, 0.3, 0.03, 0};
        ErrorPropagation p = ErrorPropagation.of(Samplers.get("euler"), Map.of(), SD1, s);
        double[] expected = new double[5];
        for (int i = 0; i < 5; i++) {
            expected[i] = (s[i] - s[i + 1]) / s[i];
        }
        assertArrayEquals(new double[] {14.6, 5.0, 1.2, 0.3, 0.03}, p.callSigmas(), 0);
        assertArrayEquals(expected, p.gains(), 1e-6);
    }

    @Test
    void eulerOnFlowEqualsDdimInTheScaledCoordinates() {
        // Flow Euler is DDIM; in VE terms sigma = s / (1 - s) the gain is again 1 - sigma_{i+1} / sigma_i, which is
        // 1 for the step from pure noise (s = 1).
        double[] s = {1.0, 0.8, 0.5, 0.2, 0.05, 0};
        ErrorPropagation p = ErrorPropagation.of(Samplers.get("euler"), Map.of(), SD3, s);
        double[] expected = new double[5];
        for (int i = 0; i < 5; i++) {
            double ve = s[i] / (1 - s[i]), veNext = s[i + 1] / (1 - s[i + 1]);
            expected[i] = s[i] == 1 ? 1 : 1 - veNext / ve;
        }
        assertArrayEquals(expected, p.gains(), 1e-6);
        assertEquals(1.0, p.gains()[0], 1e-7);
    }

    @Test
    void dpmpp2mGainsFollowItsSecondOrderCombination() {
        // By hand from DPM-Solver++(2M) (Lu et al. 2022, Alg. 2) with eps_hat held fixed (D = x + error):
        // step 0 (first order): x1 = (s1/s0) x0 + (1 - s1/s0) D0
        // step 1: x2 = (s2/s1) x1 + (1 - s2/s1) ((1 + 1/(2r)) D1 - 1/(2r) D0), r = h0 / h1
        // step 2 (onto 0): x3 = D2.
        double s0 = 10, s1 = 2, s2 = 0.5;
        double h0 = Math.log(s0 / s1), h1 = Math.log(s1 / s2), r = h0 / h1;
        double a0 = 1 - s1 / s0, a1 = 1 - s2 / s1;
        double through1 = s2 / s1 + a1 * (1 + 1 / (2 * r));     // d x2 / d x1 with D1 = x1 + e1 and D0 stored
        double g0 = a0 * through1 - a1 / (2 * r);
        double g1 = a1 * (1 + 1 / (2 * r));
        ErrorPropagation p = ErrorPropagation.of(Samplers.get("dpmpp_2m"), Map.of(), SD1, new double[] {s0, s1, s2, 0});
        assertArrayEquals(new double[] {g0, g1, 1}, p.gains(), 1e-6);
        double accumulated = p.accumulated(sigma -> sigma * sigma);
        assertEquals(g0 * g0 * 100 + g1 * g1 * 4 + 0.25, accumulated, 1e-4);
    }

    @Test
    void everyCallIsTracedForMultiCallSamplers() {
        double[] s = {14.6, 3, 0.5, 0.05, 0};
        for (String name : new String[] {"heun", "dpm_2", "dpmpp_2m", "deis", "ipndm", "uni_pc", "lms", "dpmpp_3m_sde"}) {
            var info = Samplers.get(name);
            if (!ErrorPropagation.traceable(info)) {
                assertThrows(IllegalArgumentException.class, () -> ErrorPropagation.of(info, Map.of(), SD1, s));
                continue;
            }
            ErrorPropagation p = ErrorPropagation.of(info, Map.of(), SD1, s);
            assertEquals(info.expectedNfe(s), p.calls(), name);
            if (!name.equals("uni_pc")) {
                // These land on the last prediction in the step onto 0, so its error reaches the result whole
                // (UniPC's last step is its multistep predictor, which mixes in earlier predictions).
                assertEquals(1.0, p.gains()[p.calls() - 1], 1e-5, name);
            } else {
                assertTrue(Math.abs(p.gains()[p.calls() - 1] - 1) > 1e-3, "uni_pc's last gain " + p.gains()[p.calls() - 1]);
            }
        }
    }

    @Test
    void stochasticSamplersAreRefusedWithTheReason() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ErrorPropagation.of(Samplers.get("euler_ancestral"), Map.of(), SD1, new double[] {14.6, 1, 0}));
        assertTrue(e.getMessage().contains("euler_ancestral is stochastic"), e.getMessage());
    }
}
