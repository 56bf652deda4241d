package dev.stepwise.harness;

import dev.stepwise.core.measure.SamplerBenchmark;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.Scheduler;
import dev.stepwise.core.schedule.Sigmas;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The cells of a plan, in plan order: for each sampler, scheduler (those the plan pairs with the sampler),
 * step-axis value, cfg, prompt and seed.
 * With NFE budgets, a cell runs the largest step count whose listed NFE (the registry's count for the
 * scheduler's sigma list on this model) fits the budget. Adaptive samplers choose their own steps and have
 * no listed NFE: they are given the step-axis value as their step count (the budget, for NFE plans), and the
 * report shows the NFE they actually used.
 */
public final class Cells {
    private Cells() {
    }

    /**
     * Every cell of the plan, in plan order.
     *
     * @param sampling the model's noise schedule (NFE budgets depend on the sigma lists it gives)
     * @throws PlanException for an unknown name or bad parameter, or a budget no step count fits
     */
    public static List<Cell> expand(Plan plan, ModelSampling sampling) {
        List<Cell> out = new ArrayList<>();
        for (Plan.SamplerSpec s : plan.samplers()) {
            SamplerInfo info = sampler(plan, s);
            for (Plan.SchedulerSpec sc : plan.schedulers()) {
                if (!sc.pairsWith(s)) {
                    continue;
                }
                for (int axis : plan.stepAxis()) {
                    int steps = plan.byNfe() && !info.adaptive() ? stepsFor(plan, info, sc, sampling, axis) : axis;
                    for (double cfg : plan.cfg()) {
                        Cell.Config config = new Cell.Config(s, sc, axis, plan.byNfe(), cfg);
                        for (int p = 0; p < plan.prompts().size(); p++) {
                            for (long seed : plan.seeds()) {
                                out.add(new Cell(config, steps, p, seed));
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The distinct configurations of the cells, in their order. */
    public static List<Cell.Config> configs(List<Cell> cells) {
        LinkedHashSet<Cell.Config> out = new LinkedHashSet<>();
        for (Cell c : cells) {
            out.add(c.config());
        }
        return List.copyOf(out);
    }

    /**
     * The largest step count in 1..2 x budget whose listed NFE is at most {@code budget}, or 0 when none
     * is, as {@code SamplerBenchmark.stepsFor} finds by scanning. Samplers with the per-step count (no NFE
     * rule) make calls in proportion to the sigma list's length, which no scheduler shortens as steps grow, so
     * bisection finds the same count in log(budget) sigma lists instead of the scan's 2 x budget (quadratic in
     * large budgets). NFE rules need not grow with the steps (restart's segments) and get the full scan.
     * CellsTest checks both against the scan over the catalogue.
     */
    public static int stepsFor(SamplerInfo info, Scheduler scheduler, ModelSampling sampling, int budget) {
        if (info.nfeRule() != null) {
            return SamplerBenchmark.stepsFor(info, budget,
                    n -> Sigmas.forRun(scheduler, sampling, n, 1.0, info.discardPenultimate()));
        }
        if (budget < 1 || nfe(info, scheduler, sampling, 1) > budget) {
            return 0;
        }
        int fits = 1, tooMany = 2 * budget + 1;   // nfe(fits) <= budget; tooMany is past the range or over budget
        while (tooMany - fits > 1) {
            int mid = (fits + tooMany) >>> 1;
            if (nfe(info, scheduler, sampling, mid) <= budget) {
                fits = mid;
            } else {
                tooMany = mid;
            }
        }
        return fits;
    }

    /** The model calls the sampler lists for a run of {@code steps} steps on the scheduler's sigmas. */
    public static long nfe(SamplerInfo info, Scheduler scheduler, ModelSampling sampling, int steps) {
        return info.expectedNfe(Sigmas.forRun(scheduler, sampling, steps, 1.0, info.discardPenultimate()));
    }

    private static int stepsFor(Plan plan, SamplerInfo info, Plan.SchedulerSpec sc, ModelSampling sampling, int budget) {
        Scheduler scheduler = scheduler(plan, sc);
        try {
            int steps = stepsFor(info, scheduler, sampling, budget);
            if (steps == 0) {
                long oneStep = nfe(info, scheduler, sampling, 1);
                long smallest = oneStep;   // a budget of one step's calls fits one step; a smaller one may fit more
                for (int b = budget + 1; b < oneStep; b++) {
                    if (stepsFor(info, scheduler, sampling, b) > 0) {
                        smallest = b;
                        break;
                    }
                }
                throw new PlanException(plan.source() + ": NFE budget " + budget + " is too small for sampler '"
                        + info.name() + "' on scheduler '" + sc.label() + "': one step takes " + oneStep
                        + " model calls; the smallest budget that works is " + smallest);
            }
            return steps;
        } catch (PlanException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new PlanException(plan.source() + ": sampler '" + info.name() + "' on scheduler '" + sc.label()
                    + "' at NFE budget " + budget + ": " + e.getMessage());
        }
    }

    static SamplerInfo sampler(Plan plan, Plan.SamplerSpec s) {
        try {
            SamplerInfo info = Samplers.get(s.name());
            info.options(s.parameters());
            return info;
        } catch (IllegalArgumentException e) {
            throw new PlanException(plan.source() + ": sampler '" + s.label() + "': " + e.getMessage());
        }
    }

    static Scheduler scheduler(Plan plan, Plan.SchedulerSpec s) {
        try {
            return ScheduleNames.of(s).create(s.parameters());
        } catch (IllegalArgumentException e) {
            throw new PlanException(plan.source() + ": scheduler '" + s.label() + "': " + e.getMessage());
        }
    }
}
