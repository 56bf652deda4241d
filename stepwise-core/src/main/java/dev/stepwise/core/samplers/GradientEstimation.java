package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.Denoised;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * The gradient-estimation sampler of Permenter and Yuan 2024 ("Interpreting and Improving Diffusion Models from an
 * Optimization Perspective", arXiv:2306.04848; ComfyUI's {@code sample_gradient_estimation}): reading the denoiser
 * as a gradient of the distance to the data manifold, each Euler step uses d_bar = gamma d_i + (1 - gamma) d_{i-1}
 * (d = (x - D) / sigma), x_{i+1} = x_i + (sigma_{i+1} - sigma_i) d_bar, from the second step on; the step onto 0 lands
 * on D. As an ODE solver this is first order: d_bar = d_i + (gamma - 1)(d_i - d_{i-1}) adds (gamma - 1) h_{i-1} d' to
 * the slope where second order needs h_i d' / 2, so only gamma = 1 + h_i / (2 h_{i-1}) (about 1.5) would cancel the
 * leading error; the default gamma = 2 flips its sign instead (local error +h^2 d'/2 against Euler's -h^2 d'/2).
 */
public record GradientEstimation(double gamma) implements Sampler {

    public static final Parameter GE_GAMMA = Parameter.positive("ge_gamma", 2, 0, Double.POSITIVE_INFINITY,
            "weight of the current slope against the previous one (1 = Euler)");

    public static final SamplerInfo INFO = SamplerInfo.builder("gradient_estimation")
            .description("Euler with the slope extrapolated from the last two steps (gradient estimation)")
            .order(1).calls(1, false).stochastic(false)
            .reference("Permenter and Yuan 2024 (arXiv:2306.04848) gradient-estimation sampler; ComfyUI sample_gradient_estimation")
            .parameter(GE_GAMMA)
            .create(o -> new GradientEstimation(o.real("ge_gamma")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        sample(ctx, x, sigmas, gamma, false);
    }

    /**
     * The loop; with {@code cfgPp} ComfyUI's {@code sample_gradient_estimation_cfg_pp}: slopes from the unconditional
     * estimate, d = (x - D_u) / sigma, and the Euler part lands on the guided one, x = D_g + sigma_{i+1} d.
     */
    static void sample(SamplingContext ctx, float[] x, double[] sigmas, double gamma, boolean cfgPp) {
        Denoised d = Denoised.of(ctx, cfgPp);
        float[] slope = ctx.buffer(), previous = ctx.buffer();
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            d.evaluate(ctx, x, sigma);
            Vec.derivative(slope, x, d.direction(), sigma);
            if (sigmaNext == 0) {
                Vec.copy(d.guided(), x);                                          // denoising step
            } else {
                double dt = sigmaNext - sigma;
                d.ddimStep(x, sigma, sigmaNext, 1);                               // Euler: x + dt d (+ D_g - D_u)
                if (i > 0) {
                    Vec.lin(x, 1, x, (gamma - 1) * dt, slope, -(gamma - 1) * dt, previous);
                }
            }
            Vec.copy(slope, previous);
            ctx.stepDone(i, sigmas, x, d.guided());
        }
    }
}
