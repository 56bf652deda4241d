package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.AncestralStep;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * Ancestral DPM-Solver-2: a second-order midpoint step from sigma_i down to sigma_down, its midpoint
 * the geometric mean sqrt(sigma_i sigma_down) (DPM-Solver-2, Lu et al. 2022, arXiv:2206.00927, Algorithm 1
 * with r1 = 1/2, in Karras et al. 2022's sigma form), then fresh noise back up to sigma_{i+1} (the DDPM
 * posterior split, Ho et al. 2020 eq. 7). k-diffusion's {@code sample_dpm_2_ancestral}; for flow models
 * the split is ComfyUI's RF form (see {@link AncestralStep}). A step whose sigma_down is 0 is one Euler
 * call onto the x0 estimate, with no noise, as in k-diffusion.
 */
public record Dpm2Ancestral(double eta, double sNoise) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("dpm_2_ancestral")
            .description("DPM-Solver-2 midpoint step to sigma_down, then fresh noise up to the next sigma")
            .order(2).calls(2, true).stochastic(true).discardPenultimate()
            .reference("Lu et al. 2022 (DPM-Solver) Algorithm 1 with Ho et al. 2020 eq. 7 split; k-diffusion sample_dpm_2_ancestral")
            .parameter(EulerAncestral.ETA).parameter(EulerAncestral.S_NOISE)
            .create(o -> new Dpm2Ancestral(o.real("eta"), o.real("s_noise")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        float[] denoised = ctx.buffer(), d = ctx.buffer(), xMid = ctx.buffer(), denoisedMid = ctx.buffer();
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i];
            ctx.denoise(x, sigma, denoised);
            AncestralStep a = AncestralStep.of(ctx.sampling(), sigma, sigmas[i + 1], eta);
            Vec.derivative(d, x, denoised, sigma);
            if (a.sigmaDown() == 0) {
                Vec.axpy(-sigma, d, x);                                   // Euler onto sigma = 0
            } else {
                double sigmaMid = Math.sqrt(sigma * a.sigmaDown());       // midpoint in log sigma
                Vec.lin(xMid, 1, x, sigmaMid - sigma, d);                 // half step with d(sigma_i)
                ctx.denoise(xMid, sigmaMid, denoisedMid);
                Vec.derivative(d, xMid, denoisedMid, sigmaMid);
                Vec.axpy(a.sigmaDown() - sigma, d, x);                    // full step with d(sigma_mid)
                ctx.renoise(x, a, sNoise, sigma, sigmas[i + 1]);
            }
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
