package dev.stepwise.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Plans, cells and hand-made results for the report tests (no model runs). */
final class ReportFixtures {
    private ReportFixtures() {
    }

    static Plan plan(List<String> samplers, List<Integer> steps, List<String> prompts, int seeds, int batch) {
        List<Long> s = new ArrayList<>();
        for (int i = 0; i < seeds; i++) {
            s.add(1000L + i);
        }
        return new Plan("test report", "fashion-eps", samplers.stream().map(Plan.SamplerSpec::of).toList(),
                List.of(Plan.SchedulerSpec.of("simple")), steps, List.of(), List.of(3.0),
                prompts.stream().map(Plan.PromptSpec::of).toList(), s, batch, null, Plan.DEFAULT_DROP_SLOWEST, 1, null,
                "test");
    }

    /** The plan's cells in plan order. */
    static List<Cell> cells(Plan plan) {
        List<Cell> cells = new ArrayList<>();
        for (Plan.SamplerSpec sa : plan.samplers()) {
            for (Plan.SchedulerSpec sc : plan.schedulers()) {
                for (int axis : plan.stepAxis()) {
                    for (double cfg : plan.cfg()) {
                        Cell.Config config = new Cell.Config(sa, sc, axis, plan.byNfe(), cfg);
                        for (int p = 0; p < plan.prompts().size(); p++) {
                            for (long seed : plan.seeds()) {
                                cells.add(new Cell(config, axis, p, seed));
                            }
                        }
                    }
                }
            }
        }
        return cells;
    }

    static String id(Cell c) {
        return c.id("test-model", 1);
    }

    /** A finished cell: nfe = steps, the given times and metrics, an image and a samples path by its id. */
    static CellResult ok(Cell c, double seconds, double networkSeconds, Map<String, Double> metrics,
                         double[][] features) {
        String id = id(c);
        return new CellResult(id, c, c.steps(), c.steps(), c.steps(), seconds, networkSeconds, seconds + 0.01, metrics,
                features, "images/" + id + ".png", "samples/" + id + ".npy", "");
    }

    static CellResult failed(Cell c, String message) {
        return new CellResult(id(c), c, 0, 0, 0, 0.5, 0, 0.5, Map.of(), null, "", "", message);
    }
}
