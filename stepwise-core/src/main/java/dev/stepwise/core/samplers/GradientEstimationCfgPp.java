package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * Gradient estimation (Permenter and Yuan 2024) with CFG++ (Chung et al. 2024; ComfyUI's
 * {@code sample_gradient_estimation_cfg_pp}): slopes d = (x - D_u) / sigma from the unconditional estimate, the Euler
 * part lands on the guided x0 (x = D_g + sigma_{i+1} d), then the gradient-estimation correction
 * (gamma - 1)(d_i - d_{i-1})(sigma_{i+1} - sigma_i); see {@link GradientEstimation}. Without guidance it is
 * gradient_estimation.
 */
public record GradientEstimationCfgPp(double gamma) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("gradient_estimation_cfg_pp")
            .description("gradient estimation with CFG++: slopes from the unconditional x0, lands on the guided one; "
                    + "guidance scale about 0-2 (CFG++'s lambda is 0-1)")
            .order(1).calls(1, false).stochastic(false).cfgPp()
            .reference("Chung et al. 2024 (CFG++); Permenter and Yuan 2024 (arXiv:2306.04848) gradient-estimation sampler; "
                    + "ComfyUI sample_gradient_estimation_cfg_pp")
            .parameter(GradientEstimation.GE_GAMMA)
            .create(o -> new GradientEstimationCfgPp(o.real("ge_gamma")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        GradientEstimation.sample(ctx, x, sigmas, gamma, true);
    }
}
