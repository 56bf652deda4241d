package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * Ancestral DPM-Solver++(2S) with CFG++ (Chung et al. 2024; ComfyUI's {@code sample_dpmpp_2s_ancestral_cfg_pp}
 * and its {@code _RF} form): the 2S step to sigma_down with the unconditional estimates, fresh noise, then the
 * first stage's guidance D_g - D_u scaled by alpha_{i+1}; see {@link Dpmpp2sAncestral#sample(
 * SamplingContext, float[], double[], double, double, boolean)}. Without guidance it is dpmpp_2s_ancestral.
 */
public record Dpmpp2sAncestralCfgPp(double eta, double sNoise) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("dpmpp_2s_ancestral_cfg_pp")
            .description("DPM-Solver++(2S) ancestral with CFG++: steps with the unconditional x0, lands on the guided "
                    + "one, adds fresh noise; guidance scale about 0-2 (CFG++'s lambda is 0-1)")
            .order(2).calls(2, true).stochastic(true).cfgPp()
            .reference("Chung et al. 2024 (CFG++); Lu et al. 2022 (DPM-Solver++) Algorithm 1, r = 1/2; "
                    + "ComfyUI sample_dpmpp_2s_ancestral_cfg_pp")
            .parameter(EulerAncestral.ETA).parameter(EulerAncestral.S_NOISE)
            .create(o -> new Dpmpp2sAncestralCfgPp(o.real("eta"), o.real("s_noise")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        Dpmpp2sAncestral.sample(ctx, x, sigmas, eta, sNoise, true);
    }
}
