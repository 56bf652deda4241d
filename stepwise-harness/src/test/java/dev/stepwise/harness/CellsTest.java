package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.measure.SamplerBenchmark;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.Scheduler;
import dev.stepwise.core.schedule.SchedulerInfo;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.core.schedule.Sigmas;
import dev.stepwise.onnx.ModelConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The cells of a plan: the product of its axes in plan order, and NFE budgets turned into step counts. */
class CellsTest {
    /** The built-in mixture's sampling (continuous VE, sigma 0.002..80). */
    static final ModelSampling MIXTURE = MixtureSpec.builtIn().sampling();
    /** The built-in image model's sampling (discrete VP, 1000 timesteps). */
    static final ModelSampling IMAGE = ModelConfig.read(PlanReaderTest.MODELS.resolve("fashion-eps")).sampling();

    private static Plan plan(List<String> samplers, List<String> schedulers, List<Integer> steps, List<Integer> nfe,
                             List<Double> cfg, List<Plan.PromptSpec> prompts, List<Long> seeds) {
        return new Plan("t", ModelSources.BUILT_IN_MIXTURE, samplers.stream().map(Plan.SamplerSpec::of).toList(),
                schedulers.stream().map(Plan.SchedulerSpec::of).toList(), steps, nfe, cfg, prompts, seeds, 16,
                Plan.ReferenceSpec.DEFAULT, 4, 0, null, "test plan");
    }

    @Test
    void theCellsAreTheProductOfTheAxesInPlanOrder() {
        List<String> samplers = List.of("euler", "heun", "dpmpp_2m");
        List<String> schedulers = List.of("karras", "simple");
        List<Integer> steps = List.of(4, 8, 16);
        List<Double> cfg = List.of(1.0, 3.0);
        List<Plan.PromptSpec> prompts = List.of(Plan.PromptSpec.of(""), new Plan.PromptSpec("3", "5"));
        List<Long> seeds = List.of(11L, 7L, 42L, 0L);
        Plan plan = plan(samplers, schedulers, steps, List.of(), cfg, prompts, seeds);

        List<Cell> cells = Cells.expand(plan, MIXTURE);
        assertEquals(3 * 2 * 3 * 2 * 2 * 4, cells.size());
        // Mixed-radix position: the seed varies fastest, the sampler slowest.
        int i = 0;
        for (String s : samplers) {
            for (String sc : schedulers) {
                for (int n : steps) {
                    for (double c : cfg) {
                        for (int p = 0; p < prompts.size(); p++) {
                            for (long seed : seeds) {
                                Cell cell = cells.get(i++);
                                assertEquals(new Cell(new Cell.Config(Plan.SamplerSpec.of(s), Plan.SchedulerSpec.of(sc), n,
                                        false, c), n, p, seed), cell);
                            }
                        }
                    }
                }
            }
        }
        List<Cell.Config> configs = Cells.configs(cells);
        assertEquals(3 * 2 * 3 * 2, configs.size());
        assertEquals(new Cell.Config(Plan.SamplerSpec.of("euler"), Plan.SchedulerSpec.of("karras"), 4, false, 1.0), configs.get(0));
        assertEquals(new Cell.Config(Plan.SamplerSpec.of("euler"), Plan.SchedulerSpec.of("karras"), 4, false, 3.0), configs.get(1));
        assertEquals(new Cell.Config(Plan.SamplerSpec.of("dpmpp_2m"), Plan.SchedulerSpec.of("simple"), 16, false, 3.0),
                configs.get(configs.size() - 1));
        assertEquals(cells.stream().map(c -> c.id("m", 16)).distinct().count(), cells.size(), "ids are unique");
    }

    /**
     * Hand-computed step counts for NFE budgets on Karras sigmas (which end at 0): euler and dpmpp_2m make one
     * call per step (NFE = n); heun two, but one on the final step to 0 (NFE = 2n - 1); rk4 four with a
     * single-call final step (4n - 3); dopri6 six (6n - 5). The largest n with NFE <= budget.
     */
    @ParameterizedTest(name = "{0} at NFE {1} -> {2} steps")
    @CsvSource({
            "euler, 10, 10", "dpmpp_2m, 10, 10", "dpmpp_2m, 40, 40",
            "heun, 10, 5", "heun, 20, 10", "heun, 40, 20", "heun, 11, 6", "heun, 1, 1", "heun, 2, 1",
            "rk4, 10, 3", "rk4, 20, 5", "rk4, 21, 6",
            "dopri6, 10, 2", "dopri6, 40, 7", "dopri6, 43, 8"})
    void anNfeBudgetRunsTheMostStepsThatFit(String sampler, int budget, int expectedSteps) {
        for (ModelSampling sampling : List.of(MIXTURE, IMAGE)) {
            Plan plan = plan(List.of(sampler), List.of("karras"), List.of(), List.of(budget), List.of(1.0),
                    List.of(Plan.PromptSpec.of("")), List.of(1L));
            List<Cell> cells = Cells.expand(plan, sampling);
            assertEquals(1, cells.size());
            assertEquals(expectedSteps, cells.get(0).steps(), sampler + " at " + budget + " on " + sampling);
            assertEquals(budget, cells.get(0).config().stepAxis());
            assertTrue(cells.get(0).config().byNfe());
        }
    }

    @Test
    void adaptiveSamplersAreGivenTheStepAxisValue() {
        for (String sampler : List.of("dpm_adaptive", "dopri5")) {
            assertTrue(Samplers.get(sampler).adaptive(), sampler);
            Plan byNfe = plan(List.of(sampler), List.of("karras"), List.of(), List.of(10, 40), List.of(1.0),
                    List.of(Plan.PromptSpec.of("")), List.of(1L));
            assertEquals(List.of(10, 40), Cells.expand(byNfe, MIXTURE).stream().map(Cell::steps).toList());
            Plan bySteps = plan(List.of(sampler), List.of("karras"), List.of(6), List.of(), List.of(1.0),
                    List.of(Plan.PromptSpec.of("")), List.of(1L));
            assertEquals(List.of(6), Cells.expand(bySteps, MIXTURE).stream().map(Cell::steps).toList());
        }
    }

    static final int[] BUDGETS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 20, 21, 33};

    /**
     * The bisection finds what a full scan of 1..2 x budget finds (SamplerBenchmark.stepsFor), for every
     * fixed-step sampler and every scheduler on both kinds of model (samplers with an NFE rule are scanned).
     */
    @Test
    void bisectionAgreesWithTheFullScanOverTheCatalogue() {
        int checked = 0;
        for (ModelSampling sampling : List.of(MIXTURE, IMAGE)) {
            for (SchedulerInfo si : Schedulers.all()) {
                Scheduler scheduler = si.create();
                Map<Integer, double[]> plain = new HashMap<>(), discarding = new HashMap<>();
                for (SamplerInfo info : Samplers.all()) {
                    if (info.adaptive()) {
                        continue;
                    }
                    for (int budget : BUDGETS) {
                        // The scan's sigma lists are shared by the samplers (the beta scheduler's are slow to make).
                        Map<Integer, double[]> lists = info.discardPenultimate() ? discarding : plain;
                        int scan = SamplerBenchmark.stepsFor(info, budget, n -> lists.computeIfAbsent(n,
                                k -> Sigmas.forRun(scheduler, sampling, k, 1.0, info.discardPenultimate())));
                        assertEquals(scan, Cells.stepsFor(info, scheduler, sampling, budget),
                                info.name() + " / " + si.name() + " at NFE " + budget);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 1000, "checked " + checked);
    }

    @Test
    void noStepCountFitsABudgetBelowOneStep() {
        // A made-up sampler with three calls on every step, the last included: one step costs 3.
        SamplerInfo three = SamplerInfo.builder("three").calls(3, false).create(o -> null);
        Scheduler karras = Schedulers.get("karras").create();
        assertEquals(0, Cells.stepsFor(three, karras, MIXTURE, 2));
        assertEquals(1, Cells.stepsFor(three, karras, MIXTURE, 3));
        assertEquals(3, Cells.stepsFor(three, karras, MIXTURE, 11));
        assertEquals(3, Cells.nfe(three, karras, MIXTURE, 1));
    }

    @Test
    void configsKeepParametersApart() {
        Plan.SamplerSpec a = new Plan.SamplerSpec("euler_ancestral", Map.of("eta", 0.5), "euler_ancestral eta=0.5");
        Plan.SamplerSpec b = Plan.SamplerSpec.of("euler_ancestral");
        Plan plan = new Plan("t", ModelSources.BUILT_IN_MIXTURE, List.of(a, b), List.of(Plan.SchedulerSpec.of("karras")),
                List.of(5), List.of(), List.of(1.0), List.of(Plan.PromptSpec.of("")), List.of(1L, 2L), 8,
                null, 4, 0, null, "test plan");
        List<Cell> cells = Cells.expand(plan, GaussianMixture.gaussian(new double[] {0}, 1, 0.002, 80).sampling());
        assertEquals(4, cells.size());
        assertEquals(List.of(a, b), Cells.configs(cells).stream().map(Cell.Config::sampler).toList());
        assertEquals(4, cells.stream().map(c -> c.id("m", 8)).distinct().count());
    }

    @Test
    void aSamplerNameCheckedByExpandToo() {
        Plan plan = plan(List.of("nope"), List.of("karras"), List.of(5), List.of(), List.of(1.0),
                List.of(Plan.PromptSpec.of("")), List.of(1L));
        PlanException e = assertThrows(PlanException.class, () -> Cells.expand(plan, MIXTURE));
        PlanReaderTest.assertOneLine("test plan: sampler 'nope': unknown sampler 'nope'", e.getMessage());
    }
}
