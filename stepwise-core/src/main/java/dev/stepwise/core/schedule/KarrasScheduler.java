package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.param.Parameter;
import java.util.List;

/**
 * Karras et al. 2022 (EDM), eq. 5: sigma_i = (sigma_max^(1/rho) + i/(n-1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho,
 * then 0; rho = 7 spends more steps at low noise.
 */
public record KarrasScheduler(double rho) implements Scheduler {

    public static final SchedulerInfo INFO = new SchedulerInfo("karras",
            "EDM's polynomial spacing in sigma^(1/rho)", "Karras et al. 2022 (EDM), eq. 5",
            List.of(Parameter.positive("rho", 7, 0, Double.POSITIVE_INFINITY, "spacing exponent")),
            o -> new KarrasScheduler(o.real("rho")));

    public KarrasScheduler {
        checkRho(rho);
    }

    @Override
    public double[] sigmas(ModelSampling sampling, int steps) {
        return karras(sampling.sigmaMin(), sampling.sigmaMax(), steps, rho);
    }

    /** The Karras list between the given extremes, with the final 0. */
    public static double[] karras(double sigmaMin, double sigmaMax, int steps, double rho) {
        Sigmas.requireSteps(steps);
        checkRho(rho);
        double[] s = new double[steps + 1];
        double minInv = Math.pow(sigmaMin, 1 / rho), maxInv = Math.pow(sigmaMax, 1 / rho);
        for (int i = 0; i < steps; i++) {
            double ramp = steps == 1 ? 0 : (double) i / (steps - 1);
            s[i] = Math.pow(maxInv + ramp * (minInv - maxInv), rho);
        }
        return s;
    }

    private static void checkRho(double rho) {
        if (!(rho > 0) || Double.isInfinite(rho)) {
            throw new IllegalArgumentException("scheduler karras: rho = " + rho + " is out of range; allowed: (0, inf)");
        }
    }
}
