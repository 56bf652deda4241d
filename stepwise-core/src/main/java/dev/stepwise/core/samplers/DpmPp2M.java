package dev.stepwise.core.samplers;

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
        float[] denoised = ctx.buffer(), dPrime = ctx.buffer();
        History previous = new History(ctx, 1);                  // D_{i-1}, keyed by t_{i-1}
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            ctx.denoise(x, sigma, denoised);
            double t = -Math.log(sigma);
            if (sigmaNext == 0) {
                Vec.copy(denoised, x);                               // ratio 0, -(e^{-inf} - 1) = 1
            } else {
                double h = -Math.log(sigmaNext) - t;
                float[] d = denoised;
                if (previous.size() > 0) {
                    double r = (t - previous.key(0)) / h;
                    Vec.lin(dPrime, 1 + 1 / (2 * r), denoised, -1 / (2 * r), previous.get(0));
                    d = dPrime;
                }
                Vec.lin(x, sigmaNext / sigma, x, -Math.expm1(-h), d);
            }
            previous.push(denoised, t);
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
