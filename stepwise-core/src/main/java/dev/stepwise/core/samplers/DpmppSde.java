package dev.stepwise.core.samplers;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.AncestralStep;
import dev.stepwise.core.sampling.HalfLogSnr;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * Stochastic DPM-Solver++ (k-diffusion's {@code sample_dpmpp_sde}): each step from lambda_s to lambda_t
 * (half-log-SNR, {@link HalfLogSnr}) is DPM-Solver++(2S) (Lu et al. 2022, arXiv:2211.01095, Algorithm 1)
 * with its intermediate point at lambda_s + r h, where both stages are ancestral: a stage from lambda_s to
 * lambda_b first moves deterministically to the level sigma_down of the DDPM split (Ho et al. 2020 eq. 7)
 * of exp(-lambda_s) -> exp(-lambda_b), using the data-prediction update
 * x_b = (alpha_b / alpha_s) e^{-h'} x + alpha_b (1 - e^{-h'}) D with h' = -log(sigma_down) - lambda_s, then
 * adds alpha_b sigma_up s_noise of fresh noise. The second stage uses D' = (1 - 1/(2r)) D(x) + 1/(2r) D(x_1).
 * The step onto sigma = 0 returns D (one call). Noise defaults to a Brownian tree, as in k-diffusion.
 */
public record DpmppSde(double eta, double sNoise, double r) implements Sampler {

    public static final Parameter R = Parameter.positive("r", 0.5, 0, 1,
            "position of the intermediate point in the step, as a share of h in log-SNR");

    public static final SamplerInfo INFO = SamplerInfo.builder("dpmpp_sde")
            .description("DPM-Solver++ with ancestral noise at both stages of a 2S step (SDE)")
            .order(2).calls(2, true).stochastic(true).brownianNoise()
            .reference("Lu et al. 2022 (DPM-Solver++) Algorithm 1 with Ho et al. 2020 eq. 7 noise; k-diffusion sample_dpmpp_sde")
            .parameter(EulerAncestral.ETA).parameter(EulerAncestral.S_NOISE).parameter(R)
            .create(o -> new DpmppSde(o.real("eta"), o.real("s_noise"), o.real("r")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        ModelSampling ms = ctx.sampling();
        sigmas = HalfLogSnr.offsetFirstSigma(ms, sigmas);
        float[] denoised = ctx.buffer(), x1 = ctx.buffer(), denoised1 = ctx.buffer(), noise = ctx.buffer();
        boolean noisy = eta > 0 && sNoise > 0;
        double fac = 1 / (2 * r);
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            ctx.denoise(x, sigma, denoised);
            if (sigmaNext == 0) {
                ctx.landOnDenoised(i, sigmas, x, denoised);
                continue;
            }
            double lambdaS = HalfLogSnr.lambda(ms, sigma), lambdaT = HalfLogSnr.lambda(ms, sigmaNext);
            double lambdaS1 = lambdaS + r * (lambdaT - lambdaS);
            double sigmaS1 = HalfLogSnr.sigma(ms, lambdaS1);
            double alphaS = HalfLogSnr.alpha(ms, sigma), alphaS1 = HalfLogSnr.alpha(ms, sigmaS1);
            double alphaT = HalfLogSnr.alpha(ms, sigmaNext);

            // Stage 1: to lambda_s1, with D(x).
            AncestralStep a1 = AncestralStep.ve(Math.exp(-lambdaS), Math.exp(-lambdaS1), eta);
            double h1 = -Math.log(a1.sigmaDown()) - lambdaS;
            Vec.lin(x1, alphaS1 / alphaS * Math.exp(-h1), x, -alphaS1 * Math.expm1(-h1), denoised);
            if (noisy) {
                ctx.noise(sigma, sigmaS1, noise);
                Vec.axpy(alphaS1 * a1.sigmaUp() * sNoise, noise, x1);
            }
            ctx.denoise(x1, sigmaS1, denoised1);

            // Stage 2: to lambda_t, with D' = (1 - fac) D(x) + fac D(x_1); D(x_1) is no longer needed alone.
            AncestralStep a2 = AncestralStep.ve(Math.exp(-lambdaS), Math.exp(-lambdaT), eta);
            double h2 = -Math.log(a2.sigmaDown()) - lambdaS;
            Vec.lin(denoised1, 1 - fac, denoised, fac, denoised1);
            Vec.lin(x, alphaT / alphaS * Math.exp(-h2), x, -alphaT * Math.expm1(-h2), denoised1);
            if (noisy) {
                ctx.noise(sigma, sigmaNext, noise);
                Vec.axpy(alphaT * a2.sigmaUp() * sNoise, noise, x);
            }
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
