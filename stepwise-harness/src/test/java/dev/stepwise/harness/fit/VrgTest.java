package dev.stepwise.harness.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
    void reachesAtLeastTheReleasedSearchsObjective() throws Exception {
        // tools/vrg/released_method.py ran the released code's search (SGD with momentum on an over-parameterised
        // network, each alpha moving at most 1 %, penalty 100 on the noisiest level) on an analytic curve: data
        // N(0, 0.5^2), a denoiser assuming 1.3 times that std. The same objective here must agree on its list, and
        // the fit from the same base list must be at least as low.
        JsonNode fixture = new ObjectMapper().readTree(VrgTest.class.getResourceAsStream("/fit/released-vrg.json"));
        double s = fixture.at("/curve/data_std").asDouble(), sp = s * fixture.at("/curve/assumed_std_factor").asDouble();
        DoubleUnaryOperator mseX0 = sigma -> sigma * sigma * (sigma * sigma * s * s + sp * sp * sp * sp)
                / Math.pow(sp * sp + sigma * sigma, 2);
        double[] base = doubles(fixture.get("base_sigmas")), released = doubles(fixture.get("released_sigmas"));
        var euler = Samplers.get("euler");
        assertEquals(fixture.get("base_objective").asDouble(), Vrg.objective(euler, Map.of(), SD1, base, mseX0), 1e-5);
        double theirs = Vrg.objective(euler, Map.of(), SD1, released, mseX0);
        assertEquals(fixture.get("released_objective").asDouble(), theirs, 1e-5);
        Vrg.Fit fit = Vrg.fit(euler, Map.of(), SD1, base, mseX0);
        assertTrue(fit.after() <= theirs, "fit " + fit.after() + " vs released " + theirs);
    }

    private static double[] doubles(JsonNode array) {
        double[] v = new double[array.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = array.get(i).asDouble();
        }
        return v;
    }

    @Test
    void aRadiusBoundsEachStepsShareOfTheSpan() {
        ModelSampling flow = FlowSampling.sd3(1.0);
        double[] base = Schedulers.get("karras").create().sigmas(flow, 10);
        DoubleUnaryOperator mse = s -> 0.24 * s;            // x0 error growing with noise, as measured
        double r = 0.25;
        double[] got = Vrg.fit(Samplers.get("euler"), Map.of(), flow, base, mse, r).sigmas();
        double span = Math.log(base[0] / base[9]);
        for (int i = 0; i < 9; i++) {
            double was = Math.log(base[i] / base[i + 1]) / span, now = Math.log(got[i] / got[i + 1]) / span;
            assertTrue(now <= was * Math.exp(2 * r) * (1 + 1e-9) && now >= was * Math.exp(-2 * r) * (1 - 1e-9),
                    "step " + i + ": share " + now + " from " + was);
        }
    }

    @Test
    void theUnboundedOptimumOnFlowIsOneJumpFromPureNoise() {
        // docs/vrg.md: the first call's x0 error (s = 1) reaches the result whole whatever follows, and every later
        // call only adds, so the objective alone prefers to leave s = 1 for the lowest levels at once.
        ModelSampling flow = FlowSampling.sd3(1.0);
        double[] base = Schedulers.get("karras").create().sigmas(flow, 10);
        double[] got = Vrg.fit(Samplers.get("euler"), Map.of(), flow, base, s -> 0.24 * s).sigmas();
        assertTrue(got[1] < 0.05, "second level " + got[1]);
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
