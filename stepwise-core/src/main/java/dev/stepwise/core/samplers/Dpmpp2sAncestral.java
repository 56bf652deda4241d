package dev.stepwise.core.samplers;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.sampling.AncestralStep;
import dev.stepwise.core.sampling.Denoised;
import dev.stepwise.core.sampling.HalfLogSnr;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * Ancestral DPM-Solver++(2S) (Lu et al. 2022, arXiv:2211.01095, Algorithm 1 with r = 1/2): a
 * single-step second-order data-prediction step from sigma_i to sigma_down through the midpoint s in
 * half-log-SNR lambda, then fresh noise up to sigma_{i+1}. The first-order data-prediction step
 * x_b = (sigma_b / sigma_a) x_a + (1 - sigma_b / sigma_a) D (eq. 9 with h = lambda_b - lambda_a) has this
 * form both in VE and in flow parameterisation, so only lambda and the noise split depend on the model,
 * as in k-diffusion's {@code sample_dpmpp_2s_ancestral} and ComfyUI's {@code _RF} variant.
 */
public record Dpmpp2sAncestral(double eta, double sNoise) implements Sampler {

    /** ComfyUI's midpoint for a flow step starting at sigma = 1, where lambda is -infinity. */
    private static final double FLOW_MIDPOINT_FROM_PURE_NOISE = 0.9999;

    public static final SamplerInfo INFO = SamplerInfo.builder("dpmpp_2s_ancestral")
            .description("DPM-Solver++(2S) step to sigma_down, then fresh noise up to the next sigma")
            .order(2).calls(2, true).stochastic(true)
            .reference("Lu et al. 2022 (DPM-Solver++) Algorithm 1, r = 1/2; k-diffusion sample_dpmpp_2s_ancestral")
            .parameter(EulerAncestral.ETA).parameter(EulerAncestral.S_NOISE)
            .create(o -> new Dpmpp2sAncestral(o.real("eta"), o.real("s_noise")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        sample(ctx, x, sigmas, eta, sNoise, false);
    }

    /**
     * The 2S ancestral loop; with {@code cfgPp}, ComfyUI's {@code sample_dpmpp_2s_ancestral_cfg_pp} (CFG++, Chung
     * et al. 2024): both stages step with the unconditional estimates D_u, and after the noise the first stage's
     * guidance D_g - D_u is added with weight alpha_{i+1} (1 in VE form, 1 - sigma_{i+1} for flow), so that the
     * sample lands on the guided x0 as in CFG++'s DDIM step.
     */
    static void sample(SamplingContext ctx, float[] x, double[] sigmas, double eta, double sNoise, boolean cfgPp) {
        ModelSampling ms = ctx.sampling();
        Denoised d = Denoised.of(ctx, cfgPp), mid = Denoised.of(ctx, cfgPp);
        float[] xMid = ctx.buffer();
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            d.evaluate(ctx, x, sigma);
            AncestralStep a = AncestralStep.of(ms, sigma, sigmaNext, eta);
            if (a.sigmaDown() == 0) {
                Vec.copy(d.direction(), x);                               // Euler onto sigma = 0 lands on D
            } else {
                double sigmaS = ms.isFlow() && sigma >= 1 ? FLOW_MIDPOINT_FROM_PURE_NOISE
                        : HalfLogSnr.sigma(ms, 0.5 * (HalfLogSnr.lambda(ms, sigma) + HalfLogSnr.lambda(ms, a.sigmaDown())));
                Vec.lin(xMid, sigmaS / sigma, x, 1 - sigmaS / sigma, d.direction());
                mid.evaluate(ctx, xMid, sigmaS);
                Vec.lin(x, a.sigmaDown() / sigma, x, 1 - a.sigmaDown() / sigma, mid.direction());
            }
            if (sigmaNext > 0) {
                ctx.renoise(x, a, sNoise, sigma, sigmaNext);
            }
            d.addGuidance(x, HalfLogSnr.alpha(ms, sigmaNext));
            ctx.stepDone(i, sigmas, x, d.guided());
        }
    }
}
