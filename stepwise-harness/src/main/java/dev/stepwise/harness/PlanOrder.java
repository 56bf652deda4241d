package dev.stepwise.harness;

import java.util.Comparator;
import java.util.List;

/**
 * The plan's cell order (sampler, scheduler, step-axis value, cfg, prompt, seed, each as the plan lists them),
 * so that every file the report writes lists cells and configurations the same way, whatever order the
 * workers finished them in.
 */
final class PlanOrder {
    private PlanOrder() {
    }

    static Comparator<Cell.Config> configs(Plan plan) {
        return Comparator.<Cell.Config>comparingInt(c -> index(plan.samplers(), c.sampler()))
                .thenComparingInt(c -> index(plan.schedulers(), c.scheduler()))
                .thenComparingInt(c -> index(plan.stepAxis(), c.stepAxis()))
                .thenComparingInt(c -> index(plan.cfg(), c.cfg()));
    }

    static Comparator<Cell> cells(Plan plan) {
        return Comparator.comparing(Cell::config, configs(plan)).thenComparingInt(Cell::prompt)
                .thenComparingInt(c -> index(plan.seeds(), c.seed()));
    }

    static Comparator<CellResult> results(Plan plan) {
        return Comparator.comparing(CellResult::cell, cells(plan)).thenComparing(CellResult::id);
    }

    /** Position in the plan's list; values the plan does not list go last. */
    private static int index(List<?> list, Object value) {
        int i = list.indexOf(value);
        return i < 0 ? Integer.MAX_VALUE : i;
    }
}
