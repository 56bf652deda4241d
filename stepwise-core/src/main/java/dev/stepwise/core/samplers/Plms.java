package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.History;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * PLMS, the pseudo linear multistep method of Liu et al. 2022 ("Pseudo Numerical Methods for Diffusion Models on
 * Manifolds", eq. 12, with the S-PNDM start of sec. 3.3), as A1111 and CompVis run it (ComfyUI has no plms): the
 * eps prediction e' combines the current and up to three previous eps outputs with the Adams-Bashforth weights
 * (3, -1)/2, (23, -16, 5)/12, (55, -59, 37, -9)/24, and the DDIM transfer moves x with it. The first step is a
 * pseudo improved Euler step: a DDIM step, a second model call at its end, and e' the mean of the two eps
 * (two model calls). In VE form the transfer is x_{i+1} = x_i + (sigma_{i+1} - sigma_i) e' with
 * eps = d = (x - D) / sigma. The step onto sigma = 0 returns D itself, as the k-diffusion samplers do.
 *
 * <p>Order: as {@link Ipndm} (same fixed weights on varying sigma steps), second order on Karras-type schedules.
 */
public record Plms() implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("plms")
            .description("pseudo linear multistep (PNDM): Adams-Bashforth on eps after a pseudo improved Euler start")
            .order(2).calls(1, false).stochastic(false)
            .nfeRule(sigmas -> sigmas.length - 1 + (sigmas.length > 1 && sigmas[1] != 0 ? 1 : 0))
            .reference("Liu et al. 2022 (PNDM), eq. 12 with the pseudo improved Euler start; A1111/CompVis PLMS")
            .create(o -> new Plms());

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        float[] denoised = ctx.buffer(), d = ctx.buffer(), xEuler = ctx.buffer(), dEuler = ctx.buffer();
        History old = new History(ctx, 3);                       // previous eps, newest first
        float[][][] terms = new float[5][][];
        for (int k = 1; k <= 4; k++) {
            terms[k] = new float[k + 1][];
        }
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1], dt = sigmaNext - sigma;
            ctx.denoise(x, sigma, denoised);
            Vec.derivative(d, x, denoised, sigma);
            if (sigmaNext == 0) {
                Vec.copy(denoised, x);
            } else if (old.size() == 0) {
                // Pseudo improved Euler: e' = (eps(x_i) + eps(x_i + dt eps(x_i))) / 2.
                Vec.lin(xEuler, 1, x, dt, d);
                ctx.denoise(xEuler, sigmaNext, dEuler);
                Vec.derivative(dEuler, xEuler, dEuler, sigmaNext);
                Vec.lin(x, 1, x, dt / 2, d, dt / 2, dEuler);
            } else {
                int k = old.size() + 1;
                double[] beta = Ipndm.ADAMS_BASHFORTH[k - 1];
                double[] c = new double[k + 1];
                float[][] t = terms[k];
                c[0] = 1;
                t[0] = x;
                c[1] = dt * beta[0];
                t[1] = d;
                for (int j = 1; j < k; j++) {
                    c[j + 1] = dt * beta[j];
                    t[j + 1] = old.get(j - 1);
                }
                Vec.lin(x, c, t);                                    // x + dt e'
            }
            old.push(d, sigma);
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
