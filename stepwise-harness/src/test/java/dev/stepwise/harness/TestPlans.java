package dev.stepwise.harness;

import dev.stepwise.core.analytic.GaussianMixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Plans, cells and mixtures built by hand for the runner's tests (the plan reader is another helper's). */
final class TestPlans {
    private TestPlans() {
    }

    /** A plan over the given axes; the step axis is step counts. */
    static Plan plan(List<Plan.SamplerSpec> samplers, List<String> schedulers, List<Integer> steps, List<Double> cfg,
                     List<Plan.PromptSpec> prompts, List<Long> seeds, int batch, Plan.ReferenceSpec reference,
                     int parallel) {
        return new Plan("test", "gmm:test", samplers, schedulers.stream().map(Plan.SchedulerSpec::of).toList(), steps,
                List.of(), cfg, prompts, seeds, batch, reference, Plan.DEFAULT_DROP_SLOWEST, parallel, null, "test plan");
    }

    /** The same plan with another parallelism. */
    static Plan withParallel(Plan p, int parallel) {
        return new Plan(p.name(), p.model(), p.samplers(), p.schedulers(), p.steps(), p.nfe(), p.cfg(), p.prompts(),
                p.seeds(), p.batch(), p.reference(), p.dropSlowest(), parallel, p.checklist(), p.source());
    }

    /** The plan's cells in plan order (sampler, scheduler, steps, cfg, prompt, seed), as Cells.expand makes them. */
    static List<Cell> cells(Plan p) {
        List<Cell> out = new ArrayList<>();
        for (Plan.SamplerSpec s : p.samplers()) {
            for (Plan.SchedulerSpec h : p.schedulers()) {
                for (int steps : p.steps()) {
                    for (double cfg : p.cfg()) {
                        Cell.Config config = new Cell.Config(s, h, steps, false, cfg);
                        for (int prompt = 0; prompt < p.prompts().size(); prompt++) {
                            for (long seed : p.seeds()) {
                                out.add(new Cell(config, steps, prompt, seed));
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    static List<Plan.SamplerSpec> samplers(String... names) {
        return java.util.Arrays.stream(names).map(Plan.SamplerSpec::of).toList();
    }

    static Plan.SamplerSpec sampler(String name, Map<String, Object> parameters) {
        return new Plan.SamplerSpec(name, parameters, name + " " + parameters);
    }

    /**
     * Four components of std 0.3 on the circle of radius 2 at 0, 90, 180 and 270 degrees, labelled 0, 1, 0, 1,
     * weights 1, 2, 3, 4.
     */
    static GaussianMixture labelledRing() {
        List<GaussianMixture.Component> cs = new ArrayList<>();
        double[][] means = {{2, 0}, {0, 2}, {-2, 0}, {0, -2}};
        for (int k = 0; k < 4; k++) {
            cs.add(new GaussianMixture.Component(k + 1, means[k], 0.3, k % 2));
        }
        return new GaussianMixture(2, cs, 0.002, 80);
    }

    static MixtureSource source(GaussianMixture m, String name) {
        return new MixtureSource(name, m, name + "@" + Cell.sha256(m.toString()).substring(0, 12));
    }
}
