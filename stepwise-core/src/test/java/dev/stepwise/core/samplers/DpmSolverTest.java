package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.measure.ClosedFormGaussian;
import dev.stepwise.core.measure.ConvergenceOrder;
import dev.stepwise.core.measure.OrderMeasurement;
import dev.stepwise.core.testing.SamplerRuns;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * dpm_fast on the closed-form Gaussian problem ({@link OrderMeasurement}'s set-up). Its step count is a budget of
 * model calls: budgets 3k + 2 end with a DPM-Solver-2 step (local error O(h^3), like the third-order steps' O(h^4)
 * summed over 1/h steps), so the method is third order in the budget; budgets 3k and 3k + 1 end with a
 * DPM-Solver-1 step, whose O(h^2) local error makes them second order. Both approach their order from above (at
 * budgets 17 to 134 the fits give 3.4 and 2.3), so the fits use budgets from about 60 on, spaced by sqrt(2) to stay
 * above float32 rounding.
 */
class DpmSolverTest {

    static double order(int[] budgets) {
        ClosedFormGaussian problem = new ClosedFormGaussian(OrderMeasurement.MEAN, OrderMeasurement.STD);
        float[] start = SamplerRuns.startAt(OrderMeasurement.MEAN, OrderMeasurement.SIGMA_MAX, OrderMeasurement.ROWS, 7);
        double[] errors = new double[budgets.length];
        StringBuilder table = new StringBuilder("dpm_fast budget, error vs the exact ODE solution\n");
        for (int k = 0; k < budgets.length; k++) {
            double[] sigmas = SamplerRuns.karrasWithoutZero(OrderMeasurement.SIGMA_END, OrderMeasurement.SIGMA_MAX, budgets[k]);
            SamplerRuns.Run run = SamplerRuns.run(DpmFast.INFO, Map.of(), problem.model(), start, sigmas, 0);
            assertEquals(budgets[k], run.calls().nfe(), "dpm_fast spends exactly its budget");
            errors[k] = problem.error(start, OrderMeasurement.SIGMA_MAX, run.x(), OrderMeasurement.SIGMA_END).scalar();
            assertTrue(errors[k] > OrderMeasurement.ERROR_FLOOR, "error " + errors[k] + " is too close to float32 rounding");
            table.append(String.format(Locale.ROOT, "%6d %12.4e%n", budgets[k], errors[k]));
        }
        double order = ConvergenceOrder.slope(budgets, errors);
        System.out.print(table.append(String.format(Locale.ROOT, "least-squares order %.3f%n", order)));
        return order;
    }

    @Test
    void budgetsOf3kPlus2AreThirdOrder() {
        assertEquals(DpmFast.INFO.order(), order(new int[] {68, 95, 134, 191}), DeterministicOrderTest.TOLERANCE);
    }

    @Test
    void otherBudgetsEndWithAFirstOrderStepAndAreSecondOrder() {
        assertEquals(2, order(new int[] {64, 91, 127, 181}), DeterministicOrderTest.TOLERANCE);
        assertEquals(2, order(new int[] {60, 90, 126, 180}), DeterministicOrderTest.TOLERANCE);
    }

    /** As ComfyUI, dpm_fast uses only the first and the last positive sigma and the count of steps. */
    @Test
    void dpmFastIgnoresTheSigmasInBetween() {
        var g = StochasticDistributionTest.MIXTURE;
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 14.6, 32, 2);
        double[] karras = SamplerRuns.karrasWithZero(0.03, 14.6, 9);
        double[] other = karras.clone();
        for (int i = 1; i < other.length - 2; i++) {
            other[i] = 14.6 - i;                                      // any other interior values
        }
        double[] noZero = java.util.Arrays.copyOf(karras, karras.length);
        noZero[noZero.length - 1] = 0.02;                             // a list ending above 0 ends there instead
        float[] a = SamplerRuns.run(DpmFast.INFO, Map.of(), g.model("m"), start, karras, 0).x();
        float[] b = SamplerRuns.run(DpmFast.INFO, Map.of(), g.model("m"), start, other, 0).x();
        float[] c = SamplerRuns.run(DpmFast.INFO, Map.of(), g.model("m"), start, noZero, 0).x();
        assertArrayEquals(a, b);
        assertTrue(!java.util.Arrays.equals(a, c));
    }
}
