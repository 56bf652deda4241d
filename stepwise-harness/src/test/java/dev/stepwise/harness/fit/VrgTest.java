package dev.stepwise.harness.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.FlowSampling;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.model.Prediction;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.schedule.Schedulers;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

class VrgTest {
    private static final ModelSampling SD1 = DiscreteVpSampling.stableDiffusion(Prediction.EPS);

    @Test
    void twoStepEulerObjectiveByHand() {
        // sigma 10 -> 2 -> 0 with MSE_x0(sigma) = 0.1 sigma / (1 + sigma): gains 1 - 2/10 and 1.
        DoubleUnaryOperator mse = s -> 0.1 * s / (1 + s);
        double expected = 0.8 * 0.8 * mse.applyAsDouble(10) + mse.applyAsDouble(2);
        assertEquals(expected, Vrg.objective(Samplers.get("euler"), Map.of(), SD1, new double[] {10, 2, 0}, mse), 1e-6);
    }

    @Test
    void constantEpsErrorMakesEulerStepsEvenInSigma() {
        // MSE_eps = c, so MSE_x0 = c sigma^2 and the objective is c * sum (sigma_i - sigma_{i+1})^2: with the two end
        // points fixed, equal steps in sigma minimise it (the sum of squares under a fixed sum).
        double[] base = Schedulers.get("karras").create().sigmas(SD1, 8);
        Vrg.Fit fit = Vrg.fit(Samplers.get("euler"), Map.of(), SD1, base, s -> 0.01 * s * s);
        double[] got = fit.sigmas();
        double first = base[0], last = base[7];
        for (int i = 0; i < 8; i++) {
            assertEquals(first + (last - first) * i / 7.0, got[i], 1e-3 * first, "sigma " + i);
        }
        assertTrue(fit.after() < fit.before(), fit.after() + " vs " + fit.before());
    }

    @Test
    void fitsKeepEndPointsAndStayStrictlyDecreasing() {
        Random rnd = new Random(7);
        ModelSampling[] samplings = {SD1, FlowSampling.sd3(1.0)};
        for (int trial = 0; trial < 12; trial++) {
            ModelSampling ms = samplings[trial % 2];
            String sampler = new String[] {"euler", "dpmpp_2m", "deis", "ipndm", "uni_pc", "heun"}[trial % 6];
            int steps = 2 + rnd.nextInt(9);
            double a = rnd.nextDouble(), b = 0.5 + rnd.nextDouble();
            // A bumpy but positive curve, so that the optimum is not a simple shape.
            DoubleUnaryOperator mse = s -> a * s * s / (1 + s * s) + 0.01 * (1.2 + Math.sin(b * 7 * Math.log(s + 1e-3)));
            double[] base = Schedulers.get(trial % 3 == 0 ? "simple" : "karras").create().sigmas(ms, steps);
            Vrg.Fit fit = Vrg.fit(Samplers.get(sampler), Map.of(), ms, base, mse);
            double[] s = fit.sigmas();
            assertEquals(base.length, s.length);
            assertEquals(base[0], s[0], 0, sampler);
            assertEquals(base[steps - 1], s[steps - 1], 0, sampler);
            assertEquals(0, s[steps], 0);
            for (int i = 0; i < steps; i++) {
                assertTrue(s[i] > s[i + 1], sampler + " " + steps + " steps: not decreasing at " + i);
            }
            assertTrue(fit.after() <= fit.before(), sampler + ": " + fit.after() + " > " + fit.before());
        }
    }

    @Test
    void badInputIsRefusedWithOneLine() {
        var euler = Samplers.get("euler");
        var e = assertThrows(IllegalArgumentException.class,
                () -> Vrg.fit(euler, Map.of(), SD1, new double[] {14.6, 0}, s -> 1));
        assertEquals("steps 1 must be at least 2: with one step there is no level to move", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> Vrg.fit(Samplers.get("dpmpp_sde"), Map.of(), SD1, new double[] {14.6, 1, 0}, s -> 1));
    }
}
