package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * Ancestral Euler with CFG++ (Chung et al. 2024, "CFG++", arXiv:2406.08070; ComfyUI's
 * {@code sample_euler_ancestral_cfg_pp}): x_{i+1} = alpha_{i+1} (D_g + s_down eps_u + s_up n) with the VE split
 * (s_down, s_up) of the scaled levels sigma / alpha and eps_u = (x - alpha_i D_u) / sigma_i: the guided x0
 * renoised along the unconditional noise estimate plus fresh noise. Without guidance it is euler_ancestral (in
 * VE form; for flow models ComfyUI's CFG++ split differs from euler_ancestral's {@code _RF} one at eta > 0).
 */
public record EulerAncestralCfgPp(double eta, double sNoise) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("euler_ancestral_cfg_pp")
            .description("ancestral Euler with CFG++: lands on the guided x0, renoises along the unconditional one, "
                    + "adds fresh noise; guidance scale about 0-2 (CFG++'s lambda is 0-1)")
            .order(1).calls(1, false).stochastic(true).cfgPp()
            .reference("Chung et al. 2024 (CFG++, arXiv:2406.08070); ComfyUI sample_euler_ancestral_cfg_pp")
            .parameter(EulerAncestral.ETA).parameter(EulerAncestral.S_NOISE)
            .create(o -> new EulerAncestralCfgPp(o.real("eta"), o.real("s_noise")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        EulerAncestral.sample(ctx, x, sigmas, eta, sNoise, true);
    }
}
