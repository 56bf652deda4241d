package dev.stepwise.core.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.model.ContinuousVeSampling;
import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.FlowSampling;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.model.Prediction;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The contract every registered scheduler keeps, on three kinds of model, and the registry's errors. */
class SchedulersTest {
    static final ModelSampling SD1 = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
    private static final List<ModelSampling> MODELS = List.of(SD1, ContinuousVeSampling.exact(0.002, 80),
            FlowSampling.sd3(3.0));

    @Test
    void registryHasComfyUisNamesInMenuOrder() {
        assertEquals(List.of("normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform", "beta",
                "linear_quadratic", "kl_optimal", "ays", "gits"), Schedulers.names());
    }

    @Test
    void everySchedulerGivesStepsPlusOneDecreasingLevelsEndingInZero() {
        for (SchedulerInfo info : Schedulers.all()) {
            Scheduler scheduler = info.create();
            for (ModelSampling model : MODELS) {
                for (int steps : new int[] {1, 2, 10, 37}) {
                    String what = info.name() + " on " + model.describe() + ", " + steps + " steps";
                    double[] s = scheduler.sigmas(model, steps);
                    assertEquals(steps + 1, s.length, what);
                    assertEquals(0.0, s[steps], what);
                    for (int i = 0; i < s.length; i++) {
                        assertTrue(Double.isFinite(s[i]) && s[i] >= 0, what + ": sigma[" + i + "] = " + s[i]);
                        assertTrue(i == 0 || s[i] < s[i - 1], what + ": sigma[" + i + "] = " + s[i] + " after " + s[Math.max(i - 1, 0)]);
                    }
                    double first = expectedFirst(info.name(), model, steps);
                    assertEquals(first, s[0], 1e-6 * first, what + ": first level");
                    Sigmas.check(s);
                }
            }
        }
    }

    /** Where each schedule starts: the model's sigma_max, except the stride of ddim_uniform and the published lists. */
    private static double expectedFirst(String name, ModelSampling model, int steps) {
        double[] table = model.sigmaTable();
        return switch (name) {
            case "ddim_uniform" -> {
                // Indices 1, 1 + c, 1 + 2c, ... below T, c = int(T / steps): the highest one.
                int c = table.length / steps;
                yield table[1 + c * ((table.length - 2) / c)];
            }
            case "ays" -> 14.6146412293;
            case "gits" -> 14.61464119;
            default -> model.sigmaMax();
        };
    }

    @Test
    void stepsBelowOneAreRejectedByEveryScheduler() {
        for (SchedulerInfo info : Schedulers.all()) {
            for (int steps : new int[] {0, -3}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> info.create().sigmas(SD1, steps), info.name());
                assertEquals("steps " + steps + " must be at least 1", e.getMessage());
            }
        }
    }

    @Test
    void unknownNameListsEveryScheduler() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Schedulers.get("karas"));
        assertTrue(e.getMessage().startsWith("unknown scheduler 'karas'; allowed: "), e.getMessage());
        for (String name : Schedulers.names()) {
            assertTrue(e.getMessage().contains(name), name);
        }
    }

    @Test
    void rhoMustBePositive() {
        for (Object rho : new Object[] {0, -1.5, "nan"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Schedulers.get("karras").create(Map.of("rho", rho)));
            assertTrue(e.getMessage().startsWith("scheduler karras: rho = "), e.getMessage());
            assertTrue(e.getMessage().endsWith("allowed: (0, inf)"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KarrasScheduler(0));
        assertEquals("scheduler karras: rho = 0.0 is out of range; allowed: (0, inf)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KarrasScheduler.karras(0.03, 14.6, 10, -7));
    }

    @Test
    void otherParametersAreRangeChecked() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.get("ays").create(Map.of("model_type", "sd3")));
        assertEquals("scheduler ays: model_type = 'sd3' is not allowed; allowed: sd1|sdxl|svd", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Schedulers.get("beta").create(Map.of("alpha", 0)));
        assertEquals("scheduler beta: alpha = 0 is out of range; allowed: (0, 50]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Schedulers.get("exponential").create(Map.of("rho", 7)));
        assertTrue(e.getMessage().contains("has no parameter 'rho'"), e.getMessage());
    }
}
