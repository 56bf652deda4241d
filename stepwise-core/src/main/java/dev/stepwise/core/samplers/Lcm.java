package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.ForwardNoise;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * Multistep consistency sampling (Song et al. 2023, "Consistency Models", Algorithm 1; as used for latent
 * consistency models by Luo et al. 2023, multistep latent consistency sampling; ComfyUI's {@code sample_lcm}): at each level jump straight
 * to the model's x0 estimate, x = D(x, sigma_i), then re-noise it to the next level with fresh noise,
 * x = D + sigma_{i+1} n (flow: (1 - sigma_{i+1}) D + sigma_{i+1} n). The last step returns D.
 *
 * <p>Order: a consistency sampler is not a discretisation of an ODE; its one-step map is exact only for a
 * consistency model, whose output is a sample on the probability-flow trajectory. Given an ordinary denoiser
 * (the posterior mean), more steps do not converge to the data distribution: each step collapses x to a mean
 * and the final result is a posterior mean, under-dispersed. The registry's order 1 says only that, like Euler,
 * it uses one model value per step with no higher-order correction; there is no order to measure.
 */
public record Lcm(double sNoise) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("lcm")
            .description("consistency sampling: jump to the x0 estimate, re-noise with fresh noise to the next sigma")
            .order(1).calls(1, false).stochastic(true)
            .reference("Song et al. 2023 (Consistency Models) Algorithm 1; Luo et al. 2023 (LCM) multistep sampling; ComfyUI sample_lcm")
            .parameter(EulerAncestral.S_NOISE)
            .create(o -> new Lcm(o.real("s_noise")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        float[] denoised = ctx.buffer();
        for (int i = 0; i < sigmas.length - 1; i++) {
            ctx.denoise(x, sigmas[i], denoised);
            Vec.copy(denoised, x);                                       // x = f(x, sigma_i)
            if (sigmas[i + 1] > 0) {                                     // x = q(x_{sigma_{i+1}} | x0 = x)
                ctx.renoise(x, ForwardNoise.between(ctx.sampling(), 0, sigmas[i + 1]), sNoise, sigmas[i], sigmas[i + 1]);
            }
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
