package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Denoiser;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.sampling.ButcherTableau;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.measure.ConvergenceOrder;
import dev.stepwise.core.testing.SamplerRuns;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The Runge-Kutta samplers reach their orders on a problem with a closed-form solution where no error term
 * cancels: the rotation dx/dsigma = A x, A = [[0, -1], [1, 0]], written as the probability-flow ODE of the
 * denoiser D(x, sigma) = x - sigma A x. From sigma_0 = 21 to 1 (T = 20) the exact flow rotates x by -T. For a
 * linear autonomous problem an RK step multiplies x by the stability polynomial R(hA), so an order-p method's error
 * is (R(z) - e^z) ~ C z^{p+1} with z = i h: |C| = 0.166 (fehlberg2), 1/24 (bosh3), 1/120 (rk4), 1/3600 (dopri); the
 * next term is a quarter turn off in the complex plane, so it changes the error's size only at relative order h^2
 * (under 6% at h = 0.5 for dopri, whose next coefficient is 1/5040). The error is measured as
 * |R_N - e^{-iT}| with R_N the complex factor fitted over 1024 rows (which averages float32 rounding out).
 */
class RungeKuttaOrderTest {
    static final double SIGMA_0 = 21, SIGMA_END = 1;
    static final int ROWS = 1024;

    /** x - sigma A x for every row (x, y): (x + sigma y, y - sigma x). */
    static final Denoiser ROTATION = (x, sigma, cond, out) -> {
        float[] in = x.data(), o = out.data();
        for (int i = 0; i < in.length; i += 2) {
            o[i] = (float) (in[i] + sigma * in[i + 1]);
            o[i + 1] = (float) (in[i + 1] - sigma * in[i]);
        }
    };

    static Model model() {
        return new Model("rotation", ROTATION, GaussianMixture.gaussian(new double[] {0, 0}, 1, 0.002, 80).sampling(),
                new int[] {2});
    }

    /** |R_N - R| for N uniform steps. */
    static double error(SamplerInfo info, int steps) {
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 1, ROWS, 5);
        double[] sigmas = new double[steps + 1];
        for (int i = 0; i <= steps; i++) {
            sigmas[i] = SIGMA_0 + (SIGMA_END - SIGMA_0) * i / steps;
        }
        float[] x = SamplerRuns.run(info, Map.of(), model(), start, sigmas, 0).x();
        // Least-squares complex factor: R = sum conj(z0) z / sum |z0|^2 with z = x + i y.
        double re = 0, im = 0, den = 0;
        for (int i = 0; i < x.length; i += 2) {
            double a = start[i], b = start[i + 1], c = x[i], d = x[i + 1];
            re += a * c + b * d;
            im += a * d - b * c;
            den += a * a + b * b;
        }
        double angle = SIGMA_END - SIGMA_0;                   // dx/dsigma = A x: rotation by (sigma_end - sigma_0)
        return Math.hypot(re / den - Math.cos(angle), im / den - Math.sin(angle));
    }

    /** Step counts (doubling) with the errors they reach, chosen so all lie between 5e-2 and 1e-6. */
    static Stream<Object[]> cases() {
        return Stream.of(
                new Object[] {Fehlberg2.INFO, new int[] {320, 640, 1280, 2560}},
                new Object[] {Bosh3.INFO, new int[] {80, 160, 320, 640}},
                new Object[] {Rk4.INFO, new int[] {40, 80, 160, 320}},
                new Object[] {Dopri6.INFO, new int[] {28, 40, 57, 80}});
    }

    @TestFactory
    Stream<DynamicTest> rungeKuttaSamplersReachTheirOrder() {
        return cases().map(c -> DynamicTest.dynamicTest(((SamplerInfo) c[0]).name(), () -> {
            SamplerInfo info = (SamplerInfo) c[0];
            int[] steps = (int[]) c[1];
            double[] errors = new double[steps.length];
            StringBuilder table = new StringBuilder(info.name() + " on the rotation problem\n");
            for (int k = 0; k < steps.length; k++) {
                errors[k] = error(info, steps[k]);
                table.append(String.format(Locale.ROOT, "%6d %12.4e%n", steps[k], errors[k]));
            }
            double order = ConvergenceOrder.slope(steps, errors);
            table.append(String.format(Locale.ROOT, "least-squares order %.3f, expected %d%n", order, info.order()));
            System.out.print(table);
            for (double e : errors) {
                assertTrue(e > 1e-6 && e < 5e-2, "errors must stay well above float32 rounding and in the asymptotic range\n" + table);
            }
            assertEquals(info.order(), order, DeterministicOrderTest.TOLERANCE, table.toString());
        }));
    }

    /** The engine checks tableaus: row sums must equal the nodes, and FSAL must really be first-same-as-last. */
    @Test
    void inconsistentTableausAreRejected() {
        var rows = assertThrows(IllegalArgumentException.class, () -> new ButcherTableau("bad", 2, 0,
                new double[] {0, 0.5}, new double[][] {{}, {0.4}}, new double[] {0, 1}, null, false));
        assertTrue(rows.getMessage().contains("row 1"), rows.getMessage());
        var fsal = assertThrows(IllegalArgumentException.class, () -> new ButcherTableau("bad", 2, 0,
                new double[] {0, 1}, new double[][] {{}, {1}}, new double[] {0.5, 0.5}, null, true));
        assertTrue(fsal.getMessage().contains("first-same-as-last"), fsal.getMessage());
    }

    /** Fixed-step calls: FSAL tableaus skip their weightless last stage. */
    @Test
    void callsPerStepFollowTheTableaus() {
        assertEquals(3, Fehlberg2.TABLEAU.stagesPerStep());
        assertEquals(3, Bosh3.TABLEAU.stagesPerStep());
        assertEquals(4, Rk4.TABLEAU.stagesPerStep());
        assertEquals(6, Dopri6.TABLEAU.stagesPerStep());
        assertEquals(7, Dopri6.TABLEAU.stages());
    }
}
