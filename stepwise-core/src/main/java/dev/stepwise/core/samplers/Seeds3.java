package dev.stepwise.core.samplers;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.HalfLogSnr;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * SEEDS-3 (Gonzalez et al. 2023, arXiv:2305.14267, the three-stage solver in data prediction, VP; ComfyUI's
 * {@code sample_seeds_3}): the three-stage exponential SDE solver with stages at lambda_s + r_1 h and
 * lambda_s + r_2 h ({@link Seeds2} for the notation):
 * <pre>
 *   x_1 = (sigma_1 / sigma_s) e^{-r_1 h eta} x - alpha_1 h phi_1(-r_1 h_eta) D + sigma_1 s_noise n_1
 *   x_2 = (sigma_2 / sigma_s) e^{-r_2 h eta} x - alpha_2 (a_1 D + a_2 D(x_1)) + sigma_2 s_noise n_2,
 *         a_2 = (r_2 / r_1) h phi_2(-r_2 h_eta), a_1 = h phi_1(-r_2 h_eta) - a_2
 *   x_t = (sigma_t / sigma_s) e^{-h eta} x - alpha_t (b_1 D + b_3 D(x_2)) + sigma_t s_noise n_t,
 *         b_3 = h phi_2(-h_eta) / r_2, b_1 = h phi_1(-h_eta) - b_3
 * </pre>
 * At eta = 0 with r_1 = 1/3, r_2 = 2/3 it is DPM-Solver-3 in data prediction (third order). The step onto
 * sigma = 0 returns D (one call).
 */
public record Seeds3(double eta, double sNoise, double r1, double r2) implements Sampler {

    public static final Parameter R_1 = Parameter.positive("r_1", 1.0 / 3, 0, 1, "position of the first intermediate stage (share of h)");
    public static final Parameter R_2 = Parameter.positive("r_2", 2.0 / 3, 0, 1, "position of the second intermediate stage (share of h), above r_1");

    public static final SamplerInfo INFO = SamplerInfo.builder("seeds_3")
            .description("SEEDS-3: three-stage exponential SDE solver in data prediction")
            .order(3).calls(3, true).stochastic(true)
            .reference("Gonzalez et al. 2023 (SEEDS) SEEDS-3, data prediction; ComfyUI sample_seeds_3")
            .parameter(EulerAncestral.ETA).parameter(EulerAncestral.S_NOISE).parameter(R_1).parameter(R_2)
            .create(o -> new Seeds3(o.real("eta"), o.real("s_noise"), o.real("r_1"), o.real("r_2")));

    public Seeds3 {
        if (!(r1 < r2)) {
            throw new IllegalArgumentException("sampler seeds_3: r_1 = " + r1 + " must be below r_2 = " + r2
                    + " (the stages are taken in order within the step)");
        }
    }

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        ModelSampling ms = ctx.sampling();
        sigmas = HalfLogSnr.offsetFirstSigma(ms, sigmas);
        float[] denoised = ctx.buffer(), xs = ctx.buffer(), d1 = ctx.buffer(), d2 = ctx.buffer();
        SeedsNoise noise = new SeedsNoise(ctx);
        boolean noisy = eta > 0 && sNoise > 0;
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            ctx.denoise(x, sigma, denoised);
            if (sigmaNext == 0) {
                ctx.landOnDenoised(i, sigmas, x, denoised);
                continue;
            }
            double lambdaS = HalfLogSnr.lambda(ms, sigma), lambdaT = HalfLogSnr.lambda(ms, sigmaNext);
            double h = lambdaT - lambdaS, hEta = h * (eta + 1);
            double sigma1 = HalfLogSnr.sigma(ms, lambdaS + r1 * h), sigma2 = HalfLogSnr.sigma(ms, lambdaS + r2 * h);
            double alpha1 = HalfLogSnr.alpha(ms, sigma1), alpha2 = HalfLogSnr.alpha(ms, sigma2);
            double alphaT = HalfLogSnr.alpha(ms, sigmaNext);
            if (noisy) {
                noise.reset();
            }

            // Stage 1, to lambda_s + r_1 h.
            Vec.lin(xs, sigma1 / sigma * Math.exp(-r1 * h * eta), x, -alpha1 * SeedsNoise.hPhi1(-r1 * hEta), denoised);
            if (noisy) {
                Vec.axpy(sigma1 * sNoise, noise.advance(ctx, sigma, sigma1, r1 * h * eta), xs);
            }
            ctx.denoise(xs, sigma1, d1);

            // Stage 2, to lambda_s + r_2 h.
            double a2 = r2 / r1 * SeedsNoise.hPhi2(-r2 * hEta), a1 = SeedsNoise.hPhi1(-r2 * hEta) - a2;
            Vec.lin(xs, sigma2 / sigma * Math.exp(-r2 * h * eta), x, -alpha2 * a1, denoised, -alpha2 * a2, d1);
            if (noisy) {
                Vec.axpy(sigma2 * sNoise, noise.advance(ctx, sigma1, sigma2, (r2 - r1) * h * eta), xs);
            }
            ctx.denoise(xs, sigma2, d2);

            // Stage 3, to lambda_t.
            double b3 = SeedsNoise.hPhi2(-hEta) / r2, b1 = SeedsNoise.hPhi1(-hEta) - b3;
            // Summed in double: float coefficients leave a rounding floor that this third-order method reaches early.
            Vec.lin(x, new double[] {sigmaNext / sigma * Math.exp(-h * eta), -alphaT * b1, -alphaT * b3},
                    new float[][] {x, denoised, d2});
            if (noisy) {
                Vec.axpy(sigmaNext * sNoise, noise.advance(ctx, sigma2, sigmaNext, (1 - r2) * h * eta), x);
            }
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
