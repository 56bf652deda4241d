package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.param.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * Beta sampling (Lee et al. 2024, "Beta Sampling is All You Need", arXiv 2407.12173): timesteps at the
 * Beta(alpha, beta) quantiles of 1, 1 - 1/n, ..., 1/n, which for alpha = beta &lt; 1 crowd the steps at
 * both ends of the trajectory. As ComfyUI's {@code beta_scheduler}: t_i = rint(F^{-1}(1 - i/n) (T - 1)),
 * sigma_i = table[t_i], consecutive repeats of t dropped (so very many steps give fewer levels), then 0.
 */
public record BetaScheduler(double alpha, double beta) implements Scheduler {

    public static final SchedulerInfo INFO = new SchedulerInfo("beta",
            "timesteps at Beta(alpha, beta) quantiles; denser at both ends",
            "Lee et al. 2024, Beta Sampling is All You Need (arXiv 2407.12173); ComfyUI beta_scheduler",
            List.of(Parameter.positive("alpha", 0.6, 0, 50, "Beta distribution alpha"),
                    Parameter.positive("beta", 0.6, 0, 50, "Beta distribution beta")),
            o -> new BetaScheduler(o.real("alpha"), o.real("beta")));

    public BetaScheduler {
        for (double v : new double[] {alpha, beta}) {
            if (!(v > 0 && v <= 50)) {
                throw new IllegalArgumentException("scheduler beta: alpha = " + alpha + ", beta = " + beta
                        + " are out of range; allowed: (0, 50]");
            }
        }
    }

    @Override
    public double[] sigmas(ModelSampling sampling, int steps) {
        Sigmas.requireSteps(steps);
        double[] table = sampling.sigmaTable();
        int last = table.length - 1;
        double step = 1.0 / steps;
        List<Double> out = new ArrayList<>();
        double previous = -1;
        for (int i = 0; i < steps; i++) {
            double t = Math.rint(IncompleteBeta.inverse(1 - i * step, alpha, beta) * last);
            if (t != previous) {
                out.add(table[(int) t]);
            }
            previous = t;
        }
        out.add(0.0);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
