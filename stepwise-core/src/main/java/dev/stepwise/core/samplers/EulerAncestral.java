package dev.stepwise.core.samplers;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.AncestralStep;
import dev.stepwise.core.sampling.Denoised;
import dev.stepwise.core.sampling.HalfLogSnr;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * Ancestral Euler: an Euler step down to sigma_down, then fresh noise back up to sigma_{i+1}
 * (k-diffusion's {@code sample_euler_ancestral}; the split is DDPM's posterior, Ho et al. 2020 eq. 7).
 * The loop is shared with {@code euler_ancestral_cfg_pp} and {@code euler_cfg_pp}.
 */
public record EulerAncestral(double eta, double sNoise) implements Sampler {

    public static final Parameter ETA = Parameter.real("eta", 1, 0, Double.POSITIVE_INFINITY,
            "share of the step's variance replaced by fresh noise (0 = deterministic)");
    public static final Parameter S_NOISE = Parameter.real("s_noise", 1, 0, Double.POSITIVE_INFINITY,
            "scale of the fresh noise");

    public static final SamplerInfo INFO = SamplerInfo.builder("euler_ancestral")
            .description("Euler step to sigma_down, then fresh noise up to the next sigma")
            .order(1).calls(1, false).stochastic(true)
            .reference("Ho et al. 2020 (DDPM) ancestral split; k-diffusion sample_euler_ancestral")
            .parameter(ETA).parameter(S_NOISE)
            .create(o -> new EulerAncestral(o.real("eta"), o.real("s_noise")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        sample(ctx, x, sigmas, eta, sNoise, false);
    }

    /**
     * The ancestral Euler loop; with {@code cfgPp}, CFG++'s Euler ancestral (Chung et al. 2024; ComfyUI's
     * {@code sample_euler_ancestral_cfg_pp}): the step lands on alpha D_g and keeps the unconditional noise
     * direction, and the noise split is the VE one of sigma / alpha ({@link #scaledVeSplit}) in every
     * parameterisation, as ComfyUI does. Without CFG++ the flow split is ComfyUI's {@code _RF} one.
     */
    static void sample(SamplingContext ctx, float[] x, double[] sigmas, double eta, double sNoise, boolean cfgPp) {
        ModelSampling ms = ctx.sampling();
        Denoised d = Denoised.of(ctx, cfgPp);
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            d.evaluate(ctx, x, sigma);
            AncestralStep a = cfgPp ? scaledVeSplit(ms, sigma, sigmaNext, eta) : AncestralStep.of(ms, sigma, sigmaNext, eta);
            d.ddimStep(x, sigma, a.sigmaDown(), HalfLogSnr.alpha(ms, a.sigmaDown()));   // Euler step to sigma_down
            ctx.renoise(x, a, sNoise, sigma, sigmaNext);
            ctx.stepDone(i, sigmas, x, d.guided());
        }
    }

    /**
     * The ancestral split ComfyUI's CFG++ sampler uses: k-diffusion's VE split of the scaled levels
     * sigma / alpha -> sigmaNext / alpha_next (DDIM's stochastic step in x / alpha), written as the deterministic
     * move to a level sigma_down of the model's own parameterisation followed by x = alphaRatio x + sigmaUp n. With
     * s_d the scaled VE sigma_down: x_next = alpha_next (x_d / alpha_d) + alpha_next s_up n, and x_d / alpha_d has
     * scaled level s_d, i.e. sigma_d = s_d alpha_d with alpha_d = 1 / (1 + s_d) for flow (sigma + alpha = 1).
     * In VE form this is {@link AncestralStep#ve}. At sigma = 1 in flow (alpha = 0, scaled level infinite) the
     * split is its limit: sigmaUp / alpha_next = min(1, eta) sigmaNext / alpha_next.
     */
    static AncestralStep scaledVeSplit(ModelSampling ms, double sigma, double sigmaNext, double eta) {
        if (!ms.isFlow() || eta == 0 || sigmaNext == 0) {
            return AncestralStep.ve(sigma, sigmaNext, eta);
        }
        double alpha = HalfLogSnr.alpha(ms, sigma), alphaNext = HalfLogSnr.alpha(ms, sigmaNext);
        double scaledNext = sigmaNext / alphaNext;
        AncestralStep s = alpha > 0 ? AncestralStep.ve(sigma / alpha, scaledNext, eta)
                : new AncestralStep(scaledNext * Math.sqrt(Math.max(0, 1 - Math.min(1, eta) * Math.min(1, eta))),
                        Math.min(1, eta) * scaledNext, 1);
        double alphaDown = 1 / (1 + s.sigmaDown());
        return new AncestralStep(s.sigmaDown() * alphaDown, alphaNext * s.sigmaUp(), alphaNext / alphaDown);
    }
}
