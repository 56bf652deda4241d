package dev.stepwise.harness;

import static dev.stepwise.harness.PlanReaderTest.MODELS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The limits PlanCheck holds a plan to, and how a limit is raised from Java. */
class LimitsTest {

    private static Plan plan(int samplers, int seeds, int batch, int parallel) {
        List<Plan.SamplerSpec> s = List.of(Plan.SamplerSpec.of("euler"), Plan.SamplerSpec.of("heun"),
                Plan.SamplerSpec.of("dpmpp_2m")).subList(0, samplers);
        return new Plan("t", "gmm:builtin", s, List.of(Plan.SchedulerSpec.of("karras")), List.of(4, 8), List.of(),
                List.of(1.0), List.of(Plan.PromptSpec.of(""), Plan.PromptSpec.of("3")),
                LongStream.rangeClosed(1, seeds).boxed().toList(), batch, null, 4, parallel, null, "plan.yaml");
    }

    @Test
    void cellsAreCountedBeforeAnyIsMade() {
        // 3 x 1 x 2 x 1 x 2 x 1000000 = 12 million cells: refused at once, not expanded.
        PlanException e = assertThrows(PlanException.class, () -> assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> PlanCheck.check(plan(3, 1_000_000, 8, 0), MODELS)));
        assertEquals("plan.yaml: the plan has 12000000 cells (3 samplers x 1 scheduler x 2 steps x 1 cfg x 2 prompts x"
                + " 1000000 seeds), more than the limit of 100000; shorten an axis, or raise it with"
                + " Limits.with(\"cells\", 12000000)", e.getMessage());
        assertEquals(24, PlanCheck.check(plan(3, 2, 8, 0), MODELS, Limits.DEFAULT.with("cells", 24)).size());
        assertThrows(PlanException.class, () -> PlanCheck.check(plan(3, 2, 8, 0), MODELS, Limits.DEFAULT.with("cells", 23)));
    }

    @Test
    void aRaisedLimitIsNamedAsItsFlagSays() {
        Limits cli = Limits.DEFAULT.raisedBy("--limit");
        PlanException batch = assertThrows(PlanException.class, () -> PlanCheck.check(plan(1, 1, 2_000_000, 0), MODELS, cli));
        assertEquals("plan.yaml: batch = 2000000 is out of range; allowed: 1..1000000 (raise it with --limit"
                + " batch=2000000)", batch.getMessage());
        PlanException parallel = assertThrows(PlanException.class, () -> PlanCheck.check(plan(1, 1, 8, 100_000), MODELS, cli));
        assertEquals("plan.yaml: parallel = 100000 is out of range; allowed: 0.." + Limits.DEFAULT.threads()
                + " (raise it with --limit threads=100000)", parallel.getMessage());
        assertEquals(2 * 2, PlanCheck.check(plan(1, 1, 2_000_000, 0), MODELS, cli.with("batch", 2_000_000)).size());
    }

    @Test
    void limitsAreNamedAndPositive() {
        Limits l = Limits.DEFAULT.with("batch", 5).with("steps", 7);
        assertEquals(List.of(7, 5, 5), List.of(l.steps(), l.batch(), l.imageBatch()), "batch sets both batch limits");
        assertEquals("unknown limit 'colour'; allowed: steps, nfe, batch, threads, cells",
                assertThrows(IllegalArgumentException.class, () -> l.with("colour", 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> l.with("steps", 0));
        assertThrows(IllegalArgumentException.class, () -> l.with("steps", 1L << 31));
        assertEquals(1L << 40, l.with("cells", 1L << 40).cells());
    }
}
