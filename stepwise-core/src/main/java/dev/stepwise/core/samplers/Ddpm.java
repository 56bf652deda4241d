package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * DDPM ancestral sampling (Ho et al. 2020, eq. 11 with the posterior variance beta~ of eq. 7), written
 * for VE sigmas as ComfyUI's {@code sample_ddpm}: alpha-bar = 1 / (1 + sigma^2), the VP sample is
 * x / sqrt(1 + sigma^2), eps = (x - D) / sigma, and with alpha = alpha-bar / alpha-bar_next
 * x_next_vp = (x_vp - (1 - alpha) eps / sqrt(1 - alpha-bar)) / sqrt(alpha)
 *             + sqrt((1 - alpha)(1 - alpha-bar_next) / (1 - alpha-bar)) z,
 * scaled back by sqrt(1 + sigma_next^2). The last step (sigma_next = 0) gives D. ComfyUI applies these
 * VE formulas to every model, flow models included, and so does this sampler.
 */
public record Ddpm() implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("ddpm")
            .description("DDPM ancestral sampling (posterior mean plus posterior noise)")
            .order(1).calls(1, false).stochastic(true)
            .reference("Ho et al. 2020 (DDPM) eq. 11 and eq. 7; ComfyUI sample_ddpm")
            .create(o -> new Ddpm());

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        float[] denoised = ctx.buffer(), eps = ctx.buffer(), noise = ctx.buffer();
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            ctx.denoise(x, sigma, denoised);
            Vec.derivative(eps, x, denoised, sigma);
            double alphaBar = 1 / (1 + sigma * sigma), alphaBarNext = 1 / (1 + sigmaNext * sigmaNext);
            double alpha = alphaBar / alphaBarNext;
            double back = Math.sqrt(1 + sigmaNext * sigmaNext);      // VP -> VE at sigma_next
            double onX = back / Math.sqrt(alpha) * Math.sqrt(alphaBar);
            double onEps = -back / Math.sqrt(alpha) * (1 - alpha) / Math.sqrt(1 - alphaBar);
            Vec.lin(x, onX, x, onEps, eps);
            if (sigmaNext > 0) {
                ctx.noise(sigma, sigmaNext, noise);
                Vec.axpy(back * Math.sqrt((1 - alpha) * (1 - alphaBarNext) / (1 - alphaBar)), noise, x);
            }
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
