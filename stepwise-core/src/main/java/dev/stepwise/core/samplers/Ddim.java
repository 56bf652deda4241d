package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.AncestralStep;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * DDIM, Song et al. 2021, eq. 12: x_{t-1} = sqrt(a_{t-1}) x0 + sqrt(1 - a_{t-1} - s_t^2) eps + s_t z with
 * s_t = eta sqrt((1 - a_{t-1}) / (1 - a_t)) sqrt(1 - a_t / a_{t-1}). Divided by sqrt(a) (VE form, sigma^2 =
 * (1 - a) / a) it reads x_{i+1} = D + sigma_down eps + sigma_up z with eps = (x - D) / sigma,
 * sigma_up = eta sigma_{i+1} sqrt(1 - sigma_{i+1}^2 / sigma_i^2) and sigma_down = sqrt(sigma_{i+1}^2 - sigma_up^2):
 * k-diffusion's ancestral split. At eta = 0 this is exactly the Euler step x + (sigma_{i+1} - sigma_i)(x - D) / sigma_i
 * (Karras et al. 2022, sec. 3), which is why ComfyUI runs its euler sampler for "ddim". Flow models
 * (x = (1 - sigma) x0 + sigma n) are mapped to VE form by x / (1 - sigma), sigma / (1 - sigma) and back.
 */
public record Ddim(double eta) implements Sampler {

    public static final Parameter ETA = Parameter.real("eta", 0, 0, 1,
            "DDIM's eta: 0 = deterministic DDIM, 1 = DDPM's posterior noise");

    public static final SamplerInfo INFO = SamplerInfo.builder("ddim")
            .description("DDIM (eta = 0: deterministic, equal to Euler on the probability-flow ODE)")
            .order(1).calls(1, false).stochastic(false)
            .reference("Song et al. 2021 (DDIM), eq. 12, in VE form")
            .parameter(ETA)
            .create(o -> new Ddim(o.real("eta")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        float[] denoised = ctx.buffer();
        boolean flow = ctx.sampling().isFlow();
        for (int i = 0; i < sigmas.length - 1; i++) {
            ctx.denoise(x, sigmas[i], denoised);
            // alpha: the signal scale of x at sigma (1 in VE form, 1 - sigma for flow). In VE terms the noise
            // levels are sigma / alpha; written without dividing by alpha, which is 0 at a flow model's sigma = 1.
            double alpha = flow ? 1 - sigmas[i] : 1, alphaNext = flow ? 1 - sigmas[i + 1] : 1;
            double sigmaNextVe = sigmas[i + 1] / alphaNext;
            double ratio = sigmas[i + 1] * alpha / (alphaNext * sigmas[i]);        // sigma_{i+1} / sigma_i in VE terms
            double up = eta == 0 ? 0 : eta * sigmaNextVe * Math.sqrt(Math.max(0, 1 - ratio * ratio));
            double down = Math.sqrt(sigmaNextVe * sigmaNextVe - up * up);
            // x_{i+1} = alpha_{i+1} (D + sigma_down (x / alpha - D) / sigma_ve) + alpha_{i+1} sigma_up z
            Vec.lin(x, alphaNext * down / sigmas[i], x, alphaNext * (1 - down * alpha / sigmas[i]), denoised);
            ctx.renoise(x, new AncestralStep(down, alphaNext * up, 1), 1, sigmas[i], sigmas[i + 1]);
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
