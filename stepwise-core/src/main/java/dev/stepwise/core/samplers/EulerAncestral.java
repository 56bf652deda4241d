package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.AncestralStep;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * Ancestral Euler: an Euler step down to sigma_down, then fresh noise back up to sigma_{i+1}
 * (k-diffusion's {@code sample_euler_ancestral}; the split is DDPM's posterior, Ho et al. 2020 eq. 7).
 */
public record EulerAncestral(double eta, double sNoise) implements Sampler {

    public static final Parameter ETA = Parameter.real("eta", 1, 0, Double.POSITIVE_INFINITY,
            "share of the step's variance replaced by fresh noise (0 = deterministic)");
    public static final Parameter S_NOISE = Parameter.real("s_noise", 1, 0, Double.POSITIVE_INFINITY,
            "scale of the fresh noise");

    public static final SamplerInfo INFO = SamplerInfo.builder("euler_ancestral")
            .description("Euler step to sigma_down, then fresh noise up to the next sigma")
            .order(1).calls(1, false).stochastic(true)
            .reference("Ho et al. 2020 (DDPM) ancestral split; k-diffusion sample_euler_ancestral")
            .parameter(ETA).parameter(S_NOISE)
            .create(o -> new EulerAncestral(o.real("eta"), o.real("s_noise")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        float[] denoised = ctx.buffer(), d = ctx.buffer();
        for (int i = 0; i < sigmas.length - 1; i++) {
            ctx.denoise(x, sigmas[i], denoised);
            AncestralStep a = AncestralStep.of(ctx.sampling(), sigmas[i], sigmas[i + 1], eta);
            Vec.derivative(d, x, denoised, sigmas[i]);
            Vec.axpy(a.sigmaDown() - sigmas[i], d, x);
            ctx.renoise(x, a, sNoise, sigmas[i], sigmas[i + 1]);
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
