package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.measure.ClosedFormGaussian;
import dev.stepwise.core.measure.ConvergenceOrder;
import dev.stepwise.core.testing.SamplerRuns;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * gradient_estimation (Permenter and Yuan 2024): the slope d_bar = gamma d_i + (1 - gamma) d_{i-1}. Its order as an
 * ODE solver, which the registry gives as 1: with Taylor's d_{i-1} = d_i - h_{i-1} d' the step adds
 * (gamma - 1) h_{i-1} h_i d' where the exact flow needs h_i^2 d' / 2, so the leading local error vanishes only for
 * gamma = 1 + h_i / (2 h_{i-1}); on equal steps that is gamma = 3/2, the two-step Adams-Bashforth method. Measured
 * here on equal sigma steps of the closed-form Gaussian: gamma = 3/2 converges at order 2, the default gamma = 2 at
 * order 1 (as does every gamma on the Karras steps of {@link DeterministicOrderTest}). Measured: 1.97 and 0.92 over
 * 128..1024 steps; coarser grids are not yet asymptotic for gamma = 2 (its first step is plain Euler, whose error
 * has the opposite sign to the later steps', and at 16-64 steps the two nearly cancel).
 */
class GradientEstimationTest {
    static final double[] MEAN = {1, -2, 0.5};

    static double orderOnEqualSteps(double gamma) {
        ClosedFormGaussian problem = new ClosedFormGaussian(MEAN, 0.5);
        float[] start = SamplerRuns.startAt(MEAN, 5, 512, 3);
        int[] steps = {128, 256, 512, 1024};
        double[] errors = new double[steps.length];
        for (int k = 0; k < steps.length; k++) {
            double[] sigmas = new double[steps[k] + 1];
            for (int i = 0; i <= steps[k]; i++) {
                sigmas[i] = 5 - 4.5 * i / steps[k];              // 5 down to 0.5 in equal steps
            }
            float[] x = SamplerRuns.run(GradientEstimation.INFO, Map.of("ge_gamma", gamma), problem.model(), start, sigmas, 0).x();
            errors[k] = problem.error(start, 5, x, 0.5).scalar();
        }
        double order = ConvergenceOrder.slope(steps, errors);
        System.out.printf(Locale.ROOT, "ge_gamma %.2f on equal steps %s: errors %s, order %.3f%n", gamma,
                Arrays.toString(steps), Arrays.toString(errors), order);
        return order;
    }

    @Test
    void gammaThreeHalvesIsSecondOrderOnEqualStepsTheDefaultIsFirstOrder() {
        assertEquals(2, orderOnEqualSteps(1.5), 0.2);
        assertEquals(1, orderOnEqualSteps(2), 0.2);
    }

    /** gamma = 1 leaves d_bar = d_i: the sampler is Euler's method, step for step. */
    @Test
    void gammaOneIsEuler() {
        ClosedFormGaussian problem = new ClosedFormGaussian(MEAN, 0.5);
        float[] start = SamplerRuns.startAt(MEAN, 14.6, 64, 5);
        double[] sigmas = SamplerRuns.karrasWithZero(0.03, 14.6, 9);
        float[] ge = SamplerRuns.run(GradientEstimation.INFO, Map.of("ge_gamma", 1), problem.model(), start, sigmas, 0).x();
        float[] euler = SamplerRuns.run(Euler.INFO, Map.of(), problem.model(), start, sigmas, 0).x();
        for (int i = 0; i < ge.length; i++) {
            assertEquals(euler[i], ge[i], 1e-5 * Math.max(1, Math.abs(euler[i])), "value " + i);
        }
    }

    @Test
    void nonPositiveGammaIsRejectedNamingItsRange() {
        for (SamplerInfo info : List.of(GradientEstimation.INFO, GradientEstimationCfgPp.INFO)) {
            for (double gamma : new double[] {0, -1}) {
                var e = assertThrows(IllegalArgumentException.class, () -> info.create(Map.of("ge_gamma", gamma)));
                assertTrue(e.getMessage().contains("ge_gamma") && e.getMessage().contains("(0, inf)"), e.getMessage());
            }
            info.create(Map.of("ge_gamma", 0.01));
        }
    }
}
