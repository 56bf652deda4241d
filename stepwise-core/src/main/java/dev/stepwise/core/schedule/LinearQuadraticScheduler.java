package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.param.Parameter;
import java.util.List;

/**
 * Genmo Mochi's linear-quadratic schedule (ComfyUI {@code linear_quadratic_schedule}, from Mochi's
 * infer.py): in u = 1 - sigma / sigma_max, the first L = linear_steps steps rise linearly from 0 to the
 * threshold tau (u_i = i tau / L), the remaining n - L steps follow the quadratic through (L, tau) with
 * slope tau / L that reaches u = 1 at i = n; sigma_i = (1 - u_i) sigma_max. One step is [sigma_max, 0].
 * Written for flow models (sigma_max = 1); on other models it is scaled by their sigma_max as in ComfyUI.
 */
public record LinearQuadraticScheduler(double thresholdNoise, int linearSteps) implements Scheduler {

    public static final SchedulerInfo INFO = new SchedulerInfo("linear_quadratic",
            "linear in sigma for the first half, then quadratic down to 0 (Mochi)",
            "Genmo Mochi 1 infer.py linear_quadratic_schedule; ComfyUI linear_quadratic",
            List.of(Parameter.positive("threshold_noise", 0.025, 0, 1, "1 - sigma/sigma_max reached by the linear part"),
                    Parameter.integer("linear_steps", 0, 0, 10000, "steps in the linear part; 0 = steps / 2")),
            o -> new LinearQuadraticScheduler(o.real("threshold_noise"), o.integer("linear_steps")));

    public LinearQuadraticScheduler {
        if (!(thresholdNoise > 0 && thresholdNoise <= 1)) {
            throw new IllegalArgumentException("scheduler linear_quadratic: threshold_noise = " + thresholdNoise
                    + " is out of range; allowed: (0, 1]");
        }
        if (linearSteps < 0) {
            throw new IllegalArgumentException("scheduler linear_quadratic: linear_steps = " + linearSteps
                    + " is out of range; allowed: 0 (= steps / 2) or 1..steps-1");
        }
    }

    @Override
    public double[] sigmas(ModelSampling sampling, int steps) {
        Sigmas.requireSteps(steps);
        double sigmaMax = sampling.sigmaMax();
        if (steps == 1) {
            return new double[] {sigmaMax, 0};
        }
        int lin = linearSteps == 0 ? steps / 2 : linearSteps;
        if (lin >= steps) {
            throw new IllegalArgumentException("scheduler linear_quadratic: linear_steps = " + lin
                    + " must be below steps = " + steps + "; allowed: 0 (= steps / 2) or 1.." + (steps - 1));
        }
        double tau = thresholdNoise;
        int quadSteps = steps - lin;
        // u(i) = qc i^2 + lc i + qc L^2 meets u(L) = tau with slope tau / L and u(n) = 1.
        double excess = lin - tau * steps;
        if (!(excess > 0)) {
            // Otherwise the quadratic is not increasing on [L, n] and sigma would leave [0, sigma_max].
            throw new IllegalArgumentException("scheduler linear_quadratic: threshold_noise * steps = " + tau * steps
                    + " must be below linear_steps = " + lin);
        }
        double qc = excess / (lin * (double) quadSteps * quadSteps);
        double lc = tau / lin - 2 * excess / ((double) quadSteps * quadSteps);
        double c = qc * lin * (double) lin;
        double[] s = new double[steps + 1];
        for (int i = 0; i < steps; i++) {
            double u = i < lin ? i * tau / lin : qc * (double) i * i + lc * i + c;
            s[i] = (1 - u) * sigmaMax;
        }
        return s;
    }
}
