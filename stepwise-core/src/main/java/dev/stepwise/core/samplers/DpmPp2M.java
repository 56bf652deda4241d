package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Denoised;
import dev.stepwise.core.sampling.History;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * DPM-Solver++(2M), Lu et al. 2022 ("DPM-Solver++"), Algorithm 2 in VE form (k-diffusion's
 * {@code sample_dpmpp_2m}): with t = -log sigma and h = t_{i+1} - t_i, the exponential integrator
 * x_{i+1} = (sigma_{i+1} / sigma_i) x_i - (e^{-h} - 1) D' uses D' = (1 + 1/(2r)) D_i - 1/(2r) D_{i-1},
 * r = h_{i-1} / h_i, a linear extrapolation of the data prediction in t. The first step (no history) and the
 * step onto sigma = 0 (where it would need t = infinity) use D_i itself, i.e. DPM-Solver++(1) / DDIM.
 */
public record DpmPp2M() implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("dpmpp_2m")
            .description("DPM-Solver++(2M): second-order multistep exponential integrator on the data prediction")
            .order(2).calls(1, false).stochastic(false)
            .reference("Lu et al. 2022 (DPM-Solver++), Algorithm 2; k-diffusion sample_dpmpp_2m")
            .create(o -> new DpmPp2M());

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        sample(ctx, x, sigmas, false);
    }

    /**
     * The 2M loop, written as x_{i+1} = e^{-h} (x_i - D_i) + (1 + c) D_i - c D_{i-1} with c = (1 - e^{-h}) / (2r)
     * (0 without history), which is the update above. With {@code cfgPp} it is ComfyUI's
     * {@code sample_dpmpp_2m_cfg_pp} (CFG++, Chung et al. 2024): the renoised part x_i - D_u uses the unconditional
     * estimate, the extrapolated target (1 + c) D_g - c D_{u,i-1} starts from the guided one, and the history
     * keeps unconditional estimates.
     */
    static void sample(SamplingContext ctx, float[] x, double[] sigmas, boolean cfgPp) {
        Denoised d = Denoised.of(ctx, cfgPp);
        History previous = new History(ctx, 1);                  // D_{i-1} (unconditional under CFG++), keyed by t_{i-1}
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            d.evaluate(ctx, x, sigma);
            double t = -Math.log(sigma);
            if (sigmaNext == 0) {
                Vec.copy(d.guided(), x);                             // e^{-h} = 0, c = 0: x = D
            } else {
                double h = -Math.log(sigmaNext) - t, decay = Math.exp(-h);
                if (previous.size() > 0) {
                    double c = -Math.expm1(-h) * h / (2 * (t - previous.key(0)));        // (1 - e^{-h}) / (2r)
                    Vec.lin(x, decay, x, -decay, d.direction(), 1 + c, d.guided(), -c, previous.get(0));
                } else {
                    Vec.lin(x, decay, x, -decay, d.direction(), 1, d.guided());
                }
            }
            previous.push(d.direction(), t);
            ctx.stepDone(i, sigmas, x, d.guided());
        }
    }
}
