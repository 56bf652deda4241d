package dev.stepwise.core.samplers;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.sampling.HalfLogSnr;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * DDPM ancestral sampling (Ho et al. 2020): each step draws from the forward process's posterior
 * q(x_next | x, x0) with x0 = D(x), eq. 7: in VP coordinates x_vp = x / sqrt(alpha^2 + sigma^2) with
 * alpha-bar = alpha^2 / (alpha^2 + sigma^2) and beta = 1 - alpha-bar / alpha-bar_next,
 * x_next_vp = sqrt(alpha-bar_next) beta / (1 - alpha-bar) D + sqrt(alpha-bar / alpha-bar_next)
 * (1 - alpha-bar_next) / (1 - alpha-bar) x_vp + sqrt(beta (1 - alpha-bar_next) / (1 - alpha-bar)) z,
 * mapped back by sqrt(alpha_next^2 + sigma_next^2). The last step (sigma_next = 0) gives D.
 *
 * <p>For VE models (alpha = 1, alpha-bar = 1 / (1 + sigma^2)) this is ComfyUI's {@code sample_ddpm},
 * which writes the same step as eq. 11 with eps = (x - D) / sigma. ComfyUI applies those VE formulas to
 * rectified-flow models too, where they do not sample the data distribution; here flow models take the
 * posterior in their own alpha = 1 - sigma, which is DDPM proper (and differs from ComfyUI there).
 */
public record Ddpm() implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("ddpm")
            .description("DDPM ancestral sampling: a draw from the posterior q(x_next | x, x0 = D)")
            .order(1).calls(1, false).stochastic(true)
            .reference("Ho et al. 2020 (DDPM) eq. 7 / eq. 11; ComfyUI sample_ddpm")
            .create(o -> new Ddpm());

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        ModelSampling ms = ctx.sampling();
        float[] denoised = ctx.buffer(), noise = ctx.buffer();
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            ctx.denoise(x, sigma, denoised);
            double alpha = HalfLogSnr.alpha(ms, sigma), alphaNext = HalfLogSnr.alpha(ms, sigmaNext);
            double scale = Math.sqrt(alpha * alpha + sigma * sigma);                 // VE/flow -> VP
            double scaleNext = Math.sqrt(alphaNext * alphaNext + sigmaNext * sigmaNext);
            double alphaBar = alpha * alpha / (scale * scale);
            double alphaBarNext = alphaNext * alphaNext / (scaleNext * scaleNext);
            double beta = 1 - alphaBar / alphaBarNext;
            double onD = scaleNext * Math.sqrt(alphaBarNext) * beta / (1 - alphaBar);
            double onX = scaleNext / scale * Math.sqrt(alphaBar / alphaBarNext) * (1 - alphaBarNext) / (1 - alphaBar);
            Vec.lin(x, onX, x, onD, denoised);
            if (sigmaNext > 0) {
                ctx.noise(sigma, sigmaNext, noise);
                Vec.axpy(scaleNext * Math.sqrt(beta * (1 - alphaBarNext) / (1 - alphaBar)), noise, x);
            }
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
