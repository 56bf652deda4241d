package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;
import java.util.List;

/**
 * Evenly spaced in log sigma from sigma_max down to sigma_min, then 0 (k-diffusion's
 * {@code get_sigmas_exponential}): every step shrinks sigma by the same factor, i.e. equal steps in
 * the half-log-SNR lambda = -ln sigma that DPM-Solver (Lu et al. 2022) integrates over.
 */
public record ExponentialScheduler() implements Scheduler {

    public static final SchedulerInfo INFO = new SchedulerInfo("exponential",
            "uniform in log sigma between sigma_max and sigma_min (constant ratio)",
            "k-diffusion get_sigmas_exponential", List.of(), o -> new ExponentialScheduler());

    @Override
    public double[] sigmas(ModelSampling sampling, int steps) {
        Sigmas.requireSteps(steps);
        double[] logs = Sigmas.linspace(Math.log(sampling.sigmaMax()), Math.log(sampling.sigmaMin()), steps);
        double[] s = new double[steps + 1];
        for (int i = 0; i < steps; i++) {
            s[i] = Math.exp(logs[i]);
        }
        return s;
    }
}
