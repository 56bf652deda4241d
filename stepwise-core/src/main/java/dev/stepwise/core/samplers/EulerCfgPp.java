package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * Euler / DDIM with CFG++ (Chung et al. 2024, "CFG++", arXiv:2406.08070, DDIM with CFG++):
 * x_{i+1} = alpha_{i+1} D_g + sigma_{i+1} eps_u, eps_u = (x - alpha_i D_u) / sigma_i, i.e. the guided x0 renoised
 * along the unconditional noise estimate, where CFG would renoise along the guided one (and then needs scales of
 * 5-10). ComfyUI's {@code sample_euler_cfg_pp}: its
 * Euler ancestral CFG++ loop at eta = 0. Without guidance (D_u = D_g) it is Euler.
 */
public record EulerCfgPp() implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("euler_cfg_pp")
            .description("Euler (DDIM) with CFG++: lands on the guided x0, renoises along the unconditional one; "
                    + "guidance scale about 0-2 (CFG++'s lambda is 0-1; cfg 1 here steps like euler)")
            .order(1).calls(1, false).stochastic(false).cfgPp()
            .reference("Chung et al. 2024 (CFG++, arXiv:2406.08070) DDIM update; ComfyUI sample_euler_cfg_pp")
            .create(o -> new EulerCfgPp());

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        EulerAncestral.sample(ctx, x, sigmas, 0, 0, true);
    }
}
