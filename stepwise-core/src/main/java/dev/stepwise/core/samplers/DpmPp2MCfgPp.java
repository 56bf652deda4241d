package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * DPM-Solver++(2M) with CFG++ (Chung et al. 2024; ComfyUI's {@code sample_dpmpp_2m_cfg_pp}):
 * x_{i+1} = e^{-h} (x_i - D_u,i) + D_g,i + (1 - e^{-h}) / (2r) (D_g,i - D_u,i-1), h and r as in dpmpp_2m: the
 * guided x0, extrapolated along the unconditional history, renoised along the unconditional noise estimate. See
 * {@link DpmPp2M#sample(SamplingContext, float[], double[], boolean)}. Without guidance it is dpmpp_2m.
 */
public record DpmPp2MCfgPp() implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("dpmpp_2m_cfg_pp")
            .description("DPM-Solver++(2M) with CFG++: lands on the guided x0, renoises along the unconditional one; "
                    + "guidance scale about 0-2 (CFG++'s lambda is 0-1)")
            .order(2).calls(1, false).stochastic(false).cfgPp()
            .reference("Chung et al. 2024 (CFG++); Lu et al. 2022 (DPM-Solver++) Algorithm 2; "
                    + "ComfyUI sample_dpmpp_2m_cfg_pp")
            .create(o -> new DpmPp2MCfgPp());

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        DpmPp2M.sample(ctx, x, sigmas, true);
    }
}
