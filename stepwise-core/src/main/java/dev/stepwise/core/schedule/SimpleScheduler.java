package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;
import java.util.List;

/**
 * Walks the model's table of T training sigmas from the top with stride T / steps (ComfyUI's
 * {@code simple_scheduler}): sigma_i = table[T - 1 - int(i T / steps)], then 0. More steps than table
 * entries would repeat levels (ComfyUI then runs zero-length steps), so that is refused.
 */
public record SimpleScheduler() implements Scheduler {

    public static final SchedulerInfo INFO = new SchedulerInfo("simple",
            "evenly strided through the model's training sigmas from the top",
            "ComfyUI simple_scheduler", List.of(), o -> new SimpleScheduler());

    @Override
    public double[] sigmas(ModelSampling sampling, int steps) {
        Sigmas.requireSteps(steps);
        double[] table = sampling.sigmaTable();
        int n = table.length;
        if (steps > n) {
            throw new IllegalArgumentException("scheduler simple: steps " + steps + " exceeds the model's " + n
                    + " noise levels; allowed: 1.." + n);
        }
        double stride = (double) n / steps;
        double[] s = new double[steps + 1];
        for (int i = 0; i < steps; i++) {
            s[i] = table[n - 1 - (int) (i * stride)];
        }
        return s;
    }
}
