package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;
import java.util.List;

/**
 * Evenly spaced in arctan(sigma): sigma_i = tan((1 - t_i) atan(sigma_max) + t_i atan(sigma_min)) with
 * t_i = i / (n - 1), then 0 -- the schedule that minimises the KL divergence bound of the DDIM/Euler
 * discretisation (Sabour, Fidler and Kreis 2024, "Align Your Steps", the closed-form optimum of their
 * KL upper bound for a single-Gaussian data model; A1111 PR 15608, ComfyUI kl_optimal_scheduler).
 * For one step ComfyUI divides 0 by 0 and returns NaN; here the single level is sigma_max (t = 0).
 */
public record KlOptimalScheduler() implements Scheduler {

    public static final SchedulerInfo INFO = new SchedulerInfo("kl_optimal",
            "uniform in arctan(sigma) between sigma_max and sigma_min",
            "Sabour et al. 2024 (AYS), KL-optimal schedule; ComfyUI kl_optimal_scheduler",
            List.of(), o -> new KlOptimalScheduler());

    @Override
    public double[] sigmas(ModelSampling sampling, int steps) {
        Sigmas.requireSteps(steps);
        double atanMin = Math.atan(sampling.sigmaMin()), atanMax = Math.atan(sampling.sigmaMax());
        double[] s = new double[steps + 1];
        for (int i = 0; i < steps; i++) {
            double t = steps == 1 ? 0 : (double) i / (steps - 1);
            s[i] = Math.tan(t * atanMin + (1 - t) * atanMax);
        }
        return s;
    }
}
