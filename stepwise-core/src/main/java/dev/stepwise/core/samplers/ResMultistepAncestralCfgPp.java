package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * Ancestral RES multistep with CFG++ (ComfyUI's {@code sample_res_multistep_ancestral_cfg_pp}): the CFG++ RES step
 * (Chung et al. 2024; Zhang et al. 2023) to sigma_down, then fresh noise up to sigma_{i+1}; see {@link ResMultistep}.
 * Without guidance it is res_multistep_ancestral; at eta = 0 it is res_multistep_cfg_pp.
 */
public record ResMultistepAncestralCfgPp(double eta, double sNoise) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("res_multistep_ancestral_cfg_pp")
            .description("ancestral RES multistep with CFG++: steps with the unconditional x0, guided by D_g - D_u, "
                    + "adds fresh noise; guidance scale about 0-2 (CFG++'s lambda is 0-1)")
            .order(2).calls(1, false).stochastic(true).cfgPp()
            .reference("Chung et al. 2024 (CFG++); Zhang et al. 2023 (RES, arXiv:2308.02157); "
                    + "ComfyUI sample_res_multistep_ancestral_cfg_pp")
            .parameter(EulerAncestral.ETA).parameter(EulerAncestral.S_NOISE)
            .create(o -> new ResMultistepAncestralCfgPp(o.real("eta"), o.real("s_noise")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        ResMultistep.sample(ctx, x, sigmas, eta, sNoise, true);
    }
}
