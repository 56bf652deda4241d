package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * RES multistep with CFG++ (Chung et al. 2024; ComfyUI's {@code sample_res_multistep_cfg_pp}): the first step is
 * CFG++'s DDIM step x = D_g + sigma_{i+1} (x - D_u) / sigma_i; later steps shift x by D_g - D_u and take the RES step
 * with the unconditional estimates and history; see {@link ResMultistep}. Without guidance it is res_multistep.
 */
public record ResMultistepCfgPp() implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("res_multistep_cfg_pp")
            .description("RES multistep with CFG++: steps with the unconditional x0, guided by D_g - D_u; "
                    + "guidance scale about 0-2 (CFG++'s lambda is 0-1)")
            .order(2).calls(1, false).stochastic(false).cfgPp()
            .reference("Chung et al. 2024 (CFG++); Zhang et al. 2023 (RES, arXiv:2308.02157); "
                    + "ComfyUI sample_res_multistep_cfg_pp")
            .create(o -> new ResMultistepCfgPp());

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        ResMultistep.sample(ctx, x, sigmas, 0, 0, true);
    }
}
