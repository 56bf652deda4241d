package dev.stepwise.core.samplers;

import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.ForwardNoise;
import dev.stepwise.core.sampling.HalfLogSnr;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * Strategic stochastic sampling of Trajectory Consistency Distillation (Zheng et al. 2024, "Trajectory Consistency
 * Distillation", strategic stochastic sampling; diffusers' TCDScheduler, the {@code sample_tcd} of ComfyUI forks and
 * Forge). For the step sigma_i -> sigma_{i+1} with gamma (ComfyUI calls it eta):
 * <pre>
 *   s = floor((1 - gamma) t(sigma_{i+1}))                        the earlier time the model jumps to
 *   x_s = alpha_s D + sigma_s eps_hat,  eps_hat = (x - alpha_i D) / sigma_i    (DDIM jump to sigma_s)
 *   x_{i+1} = q(x_{sigma_{i+1}} | x_s)                           forward noising back up with fresh noise
 * </pre>
 * gamma = 0 is DDIM (Euler on the probability-flow ODE); gamma = 1 is LCM's multistep consistency sampling.
 * Without noise (gamma = 0, or the final step) ComfyUI converts x_s from the VP variable with sqrt(1 + sigma_{i+1}^2),
 * which rescales by sqrt((1 + sigma_{i+1}^2) / (1 + sigma_s^2)) in VE form; for a discrete VP model the last
 * step ends at the table's first level, as ComfyUI's (timesteps_s[-1] = 0).
 *
 * <p>Time: a discrete VP model uses its integer timesteps (nearest table index, floored as ComfyUI does); other
 * models use their continuous timestep measured from sigma_min (flow: the unshifted time in [0, 1]).
 *
 * <p>Order 1 is that of its gamma = 0 counterpart (DDIM). For gamma > 0 it is a consistency sampler: the jump
 * to sigma_s is a finite one whatever the step count, so with an ordinary denoiser it does not converge to the
 * data distribution (see {@link Lcm}).
 */
public record Tcd(double gamma) implements Sampler {

    public static final Parameter GAMMA = Parameter.real("eta", 0.3, 0, 1,
            "gamma of the paper: share of the next timestep jumped over before re-noising (0 = DDIM, 1 = LCM)");

    public static final SamplerInfo INFO = SamplerInfo.builder("tcd")
            .description("TCD strategic stochastic sampling: DDIM jump past the next sigma, then fresh noise back up")
            .order(1).calls(1, false).stochastic(true)
            .reference("Zheng et al. 2024 (TCD) strategic stochastic sampling; diffusers TCDScheduler")
            .parameter(GAMMA)
            .create(o -> new Tcd(o.real("eta")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        ModelSampling ms = ctx.sampling();
        float[] denoised = ctx.buffer();
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            ctx.denoise(x, sigma, denoised);
            double sigmaS = jumpLevel(ms, sigmaNext, gamma);
            // x_s = alpha_s D + sigma_s (x - alpha_i D) / sigma_i
            double alphaI = HalfLogSnr.alpha(ms, sigma), alphaS = HalfLogSnr.alpha(ms, sigmaS);
            Vec.lin(x, sigmaS / sigma, x, alphaS - sigmaS / sigma * alphaI, denoised);
            if (gamma > 0 && sigmaNext > 0) {
                ctx.renoise(x, ForwardNoise.between(ms, sigmaS, sigmaNext), 1, sigma, sigmaNext);
            } else if (!ms.isFlow() && sigmaS != sigmaNext) {
                Vec.scale(x, Math.sqrt((1 + sigmaNext * sigmaNext) / (1 + sigmaS * sigmaS)));
            }
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }

    /** sigma_s: the level at time (1 - gamma) t(sigmaNext), never above sigmaNext. */
    static double jumpLevel(ModelSampling ms, double sigmaNext, double gamma) {
        if (ms instanceof DiscreteVpSampling) {
            if (sigmaNext == 0) {
                return ms.sigma(0);
            }
            double t = Math.rint(ms.timestep(sigmaNext));           // ComfyUI: nearest table index
            return Math.min(sigmaNext, ms.sigma(Math.floor((1 - gamma) * t)));
        }
        if (sigmaNext == 0 || gamma == 0) {
            return sigmaNext;
        }
        if (ms.isFlow()) {
            // ms.sigma maps the unshifted time (times the multiplier) to the shifted level; invert it by bisection.
            double lo = 0, hi = ms.timestep(1.0);
            for (int k = 0; k < 80; k++) {
                double mid = 0.5 * (lo + hi);
                if (ms.sigma(mid) < sigmaNext) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            return Math.min(sigmaNext, ms.sigma((1 - gamma) * 0.5 * (lo + hi)));
        }
        double tMin = ms.timestep(ms.sigmaMin());
        return Math.min(sigmaNext, ms.sigma(tMin + (1 - gamma) * (ms.timestep(sigmaNext) - tMin)));
    }
}
