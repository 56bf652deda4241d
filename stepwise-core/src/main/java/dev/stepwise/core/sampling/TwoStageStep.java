package dev.stepwise.core.sampling;

import dev.stepwise.core.tensor.Vec;

/**
 * A churned two-stage explicit Runge-Kutta method on the probability-flow ODE dx/dsigma = (x - D(x, sigma)) / sigma
 * (Karras et al. 2022, Algorithm 2), shared by {@code heun} and {@code dpm_2}, which differ only in where the
 * second stage is evaluated and how the two slopes are weighted:
 * <pre>
 *   sigma_hat = churn(sigma_i)                        (Algorithm 2, lines 4-6)
 *   d_1 = (x - D(x, sigma_hat)) / sigma_hat,   h = sigma_{i+1} - sigma_hat
 *   x_2 = x + (sigma_2 - sigma_hat) d_1,       d_2 = (x_2 - D(x_2, sigma_2)) / sigma_2
 *   x_{i+1} = x + h ((1 - b) d_1 + b d_2)
 * </pre>
 * Onto sigma = 0 the second slope is undefined (it divides by sigma_2 = 0, or for dpm_2 log 0), so that step is a
 * single-call Euler step (Algorithm 2, line 8's condition sigma_{i+1} != 0): NFE is 2 per step, 1 on the last.
 *
 * @param churn        EDM churn (deterministic at s_churn = 0)
 * @param stage        where the second slope is evaluated, from sigma_hat and sigma_{i+1}
 * @param secondWeight b, the weight of the second slope (1/2: trapezoidal Heun; 1: midpoint)
 */
public record TwoStageStep(Churn churn, StagePoint stage, double secondWeight) {

    /** The noise level sigma_2 of the second stage. */
    @FunctionalInterface
    public interface StagePoint {
        double sigma(double sigmaHat, double sigmaNext);
    }

    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        float[] denoised = ctx.buffer(), d = ctx.buffer(), x2 = ctx.buffer(), d2 = ctx.buffer();
        float[] noise = churn.isDeterministic() ? null : ctx.buffer();
        int steps = sigmas.length - 1;
        for (int i = 0; i < steps; i++) {
            double sigmaNext = sigmas[i + 1];
            double sigmaHat = churn.apply(ctx, x, sigmas[i], sigmaNext, steps, noise);
            ctx.denoise(x, sigmaHat, denoised);
            Vec.derivative(d, x, denoised, sigmaHat);
            double h = sigmaNext - sigmaHat;
            if (sigmaNext == 0) {
                Vec.axpy(h, d, x);                                    // Euler onto sigma = 0
            } else {
                double sigma2 = stage.sigma(sigmaHat, sigmaNext);
                Vec.lin(x2, 1, x, sigma2 - sigmaHat, d);              // x_2 = x + (sigma_2 - sigma_hat) d_1
                ctx.denoise(x2, sigma2, d2);
                Vec.derivative(d2, x2, d2, sigma2);                   // d_2 (D written in place, then turned into a slope)
                Vec.lin(x, 1, x, h * (1 - secondWeight), d, h * secondWeight, d2);
            }
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
