package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.model.ContinuousVeSampling;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.measure.ConvergenceOrder;
import dev.stepwise.core.measure.OrderMeasurement;
import dev.stepwise.core.testing.SamplerRuns;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fixed-coefficient multistep samplers (ipndm, plms and ipndm+unic; see
 * {@link DeterministicOrderTest#ASSUME_EQUAL_STEPS}) on what their coefficients are made for: steps of equal
 * length in sigma, the variable they step in. There the Adams-Bashforth weights with k slopes integrate every
 * polynomial slope of degree below k exactly over the step, and the methods reach the order of their formulas.
 *
 * <p>Both tests use a model built for the purpose, D(x, sigma) = x - sigma (a(sigma) x + b(sigma)), whose
 * probability-flow slope (x - D) / sigma is a(sigma) x + b(sigma) exactly.
 */
class FixedStepMultistepTest {

    /** A model whose slope dx/dsigma is a(sigma) x + b(sigma), for every value independently. */
    private static Model slopeModel(DoubleUnaryOperator a, DoubleUnaryOperator b) {
        return new Model("slope", (x, sigma, cond, out) -> {
            float[] in = x.data(), o = out.data();
            double as = a.applyAsDouble(sigma), bs = b.applyAsDouble(sigma);
            for (int i = 0; i < in.length; i++) {
                o[i] = (float) (in[i] - sigma * (as * in[i] + bs));
            }
        }, ContinuousVeSampling.exact(0.002, 80), new int[] {1});
    }

    /**
     * Each step's increment x_{i+1} - x_i, with the slope a polynomial p(sigma) = (sigma - 2)^m independent of x,
     * is the weights applied to p at the last k sigmas; it equals the integral of p over the step for every degree
     * m < k (k = 1, 2, 3, 4 slopes as the history fills: Euler, AB2, AB3, AB4; plms's first step, the pseudo
     * improved Euler step, is the trapezoid rule, k = 2), and misses it for m = k: exactly the class the weights
     * integrate. Uniform grid 3, 2.75, ..., 1.
     */
    @ParameterizedTest
    @ValueSource(strings = {"ipndm", "plms"})
    void uniformStepsIntegratePolynomialSlopesOfDegreeBelowTheSlopeCount(String name) {
        SamplerInfo info = Samplers.get(name);
        int steps = 8;
        double[] sigmas = new double[steps + 1];
        for (int i = 0; i <= steps; i++) {
            sigmas[i] = 3 - 0.25 * i;
        }
        for (int m = 0; m <= 4; m++) {
            final int degree = m;
            List<Float> xs = new ArrayList<>();
            xs.add(0f);
            SamplerRuns.run(info, Map.of(), slopeModel(s -> 0, s -> Math.pow(s - 2, degree)), new float[] {0},
                    sigmas, 0, 1, true, (step, n, sigma, x, denoised) -> xs.add(x[0]));
            assertEquals(steps + 1, xs.size(), "one callback per step");
            for (int i = 0; i < steps; i++) {
                int k = name.equals("plms") && i == 0 ? 2 : Math.min(i + 1, 4);
                double exact = (Math.pow(sigmas[i + 1] - 2, m + 1) - Math.pow(sigmas[i] - 2, m + 1)) / (m + 1);
                double miss = Math.abs(xs.get(i + 1) - xs.get(i) - exact);
                String what = String.format(Locale.ROOT, "%s step %d (%d slopes), slope (sigma - 2)^%d: miss %.3e",
                        name, i, k, m, miss);
                System.out.println(what);
                if (m < k) {
                    assertTrue(miss < 2e-6, what + ": should be exact up to float32 rounding");
                } else if (m == k) {
                    assertTrue(miss > 1e-4, what + ": degree k should not be integrated exactly");
                }
            }
        }
    }

    /**
     * Measured order on uniform steps: the linear ODE dx/dsigma = c (3 - sigma)^3 x, c = 1/2, from sigma = 3 to 1,
     * x(sigma) = x(3) exp(-c (3 - sigma)^4 / 4). Its slope vanishes to third order at the start, so the start-up
     * steps (Euler or the pseudo improved Euler step, AB2, AB3), which are of lower order, make local errors no
     * larger than O(h^5) and the measured order is that of the full formula: 4 for ipndm and plms (AB4), 3 for
     * ipndm+unic (UniC-2 after each step, as the corrector's order follows the registered base order 2). Fitted as
     * {@link OrderMeasurement}: step counts 8 * 2^(k/2), the finest window N, 2N, 4N, 8N whose errors are all at
     * least {@link OrderMeasurement#ERROR_FLOOR}, 1024 starting values drawn from N(0, 3^2) (noise at sigma = 3), the discretisation error
     * |R_N - R| rms(x_0) with R_N the least-squares scalar map.
     */
    @ParameterizedTest
    @CsvSource({"ipndm, 4", "plms, 4", "ipndm+unic, 3"})
    void uniformStepsReachTheFormulasOrder(String name, int expected) {
        SamplerInfo info = Samplers.get(name);
        double c = 0.5, start = 3, end = 1;
        double exactR = Math.exp(-c * Math.pow(start - end, 4) / 4);
        Model model = slopeModel(s -> c * Math.pow(start - s, 3), s -> 0);
        float[] x0 = SamplerRuns.startAt(new double[] {0}, start, 1024, 11);       // N(0, 3^2): noise at sigma 3
        double den = 0;
        for (float v : x0) {
            den += (double) v * v;
        }
        int[] counts = new int[11];
        double[] errors = new double[counts.length];
        StringBuilder table = new StringBuilder(name + " on uniform steps, dx/dsigma = c (3 - sigma)^3 x\n");
        for (int k = 0; k < counts.length; k++) {
            counts[k] = (int) Math.round(8 * Math.pow(2, k / 2.0));
            double[] sigmas = new double[counts[k] + 1];
            for (int i = 0; i <= counts[k]; i++) {
                sigmas[i] = start + (end - start) * i / counts[k];
            }
            float[] x = SamplerRuns.run(info, Map.of(), model, x0, sigmas, 0).x();
            double num = 0;
            for (int i = 0; i < x.length; i++) {
                num += (double) x[i] * x0[i];
            }
            double r = num / den, residual = 0;
            for (int i = 0; i < x.length; i++) {
                residual += Math.pow(x[i] - r * x0[i], 2);
            }
            errors[k] = Math.abs(r - exactR) * Math.sqrt(den / x0.length);
            table.append(String.format(Locale.ROOT, "%6d %12.4e %12.4e%n", counts[k], errors[k],
                    Math.sqrt(residual / x.length)));
        }
        int last = -1;
        for (int k = 0; k + 6 < counts.length; k++) {
            if (errors[k] >= OrderMeasurement.ERROR_FLOOR && errors[k + 2] >= OrderMeasurement.ERROR_FLOOR
                    && errors[k + 4] >= OrderMeasurement.ERROR_FLOOR && errors[k + 6] >= OrderMeasurement.ERROR_FLOOR) {
                last = k;
            }
        }
        assertTrue(last >= 0, "no window with errors above the floor\n" + table);
        int[] window = {counts[last], counts[last + 2], counts[last + 4], counts[last + 6]};
        double[] windowErrors = {errors[last], errors[last + 2], errors[last + 4], errors[last + 6]};
        double order = ConvergenceOrder.slope(window, windowErrors);
        table.append(String.format(Locale.ROOT, "window %s: successive %s, least-squares order %.3f%n",
                java.util.Arrays.toString(window),
                java.util.Arrays.toString(ConvergenceOrder.successive(window, windowErrors)), order));
        System.out.print(table);
        assertEquals(expected, order, DeterministicOrderTest.TOLERANCE, name + ": order " + order + "\n" + table);
    }
}
