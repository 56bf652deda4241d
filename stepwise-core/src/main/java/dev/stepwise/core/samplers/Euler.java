package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Churn;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/** Euler's method on the probability-flow ODE dx/dsigma = (x - D(x, sigma)) / sigma, with optional EDM churn. */
public record Euler(Churn churn) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("euler")
            .description("Euler's method on the probability-flow ODE")
            .order(1).calls(1, false).stochastic(false)
            .reference("Karras et al. 2022 (EDM), Algorithm 2 without the second-order correction")
            .parameters(Churn.PARAMETERS)
            .create(o -> new Euler(Churn.from(o)));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        float[] denoised = ctx.buffer(), d = ctx.buffer();
        float[] noise = churn.isDeterministic() ? null : ctx.buffer();
        int steps = sigmas.length - 1;
        for (int i = 0; i < steps; i++) {
            double sigmaHat = churn.apply(ctx, x, sigmas[i], sigmas[i + 1], steps, noise);
            ctx.denoise(x, sigmaHat, denoised);
            Vec.derivative(d, x, denoised, sigmaHat);     // d = (x - D) / sigma_hat
            Vec.axpy(sigmas[i + 1] - sigmaHat, d, x);     // x += d (sigma_{i+1} - sigma_hat)
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
