package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * Ancestral RES multistep (ComfyUI's {@code sample_res_multistep_ancestral}): each RES step (Zhang et al. 2023,
 * arXiv:2308.02157) goes to sigma_down of the ancestral split (Ho et al. 2020 eq. 7), then fresh noise brings the
 * sample up to sigma_{i+1}; see {@link ResMultistep}. At eta = 0 it is res_multistep.
 */
public record ResMultistepAncestral(double eta, double sNoise) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("res_multistep_ancestral")
            .description("RES multistep step to sigma_down, then fresh noise up to the next sigma")
            .order(2).calls(1, false).stochastic(true)
            .reference("Zhang et al. 2023 (RES, arXiv:2308.02157); Ho et al. 2020 ancestral split; "
                    + "ComfyUI sample_res_multistep_ancestral")
            .parameter(EulerAncestral.ETA).parameter(EulerAncestral.S_NOISE)
            .create(o -> new ResMultistepAncestral(o.real("eta"), o.real("s_noise")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        ResMultistep.sample(ctx, x, sigmas, eta, sNoise, false);
    }
}
