package dev.stepwise.core.samplers;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.HalfLogSnr;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;
import java.util.List;

/**
 * SEEDS-2 (Gonzalez et al. 2023, arXiv:2305.14267, the two-stage solver in data prediction, VP; ComfyUI's
 * {@code sample_seeds_2}): a two-stage exponential SDE solver in the half-log-SNR lambda ({@link HalfLogSnr}).
 * With h = lambda_t - lambda_s and h_eta = (1 + eta) h, each stage is the exact solution of the
 * data-prediction SDE for a frozen D,
 * <pre>
 *   x_1 = (sigma_1 / sigma_s) e^{-r h eta} x - alpha_1 (e^{-r h_eta} - 1) D + sigma_1 s_noise n_1,     lambda_1 = lambda_s + r h
 *   x_t = (sigma_t / sigma_s) e^{-h eta} x - alpha_t [ (e^{-h_eta} - 1) D' ] + sigma_t s_noise n_t
 * </pre>
 * with D' = (1 - 1/(2r)) D + 1/(2r) D(x_1) ({@code phi_1}) or the phi_2 weights b_2 = h phi_2(-h_eta) / r,
 * b_1 = h phi_1(-h_eta) - b_2 on D and D(x_1) ({@code phi_2}), and n_1, n_t one Brownian path ({@link SeedsNoise}).
 * eta = 0 is the deterministic DPM-Solver++(2S)-type method. The step onto sigma = 0 returns D (one call).
 */
public record Seeds2(double eta, double sNoise, double r, boolean phi2) implements Sampler {

    public static final Parameter SOLVER_TYPE = Parameter.choice("solver_type", List.of("phi_1", "phi_2"),
            "second-stage weights: midpoint-style mix of the two estimates (phi_1) or the phi_2 expansion");
    public static final Parameter R = Parameter.positive("r", 0.5, 0, 1,
            "position of the intermediate stage in the step, as a share of h in log-SNR");

    public static final SamplerInfo INFO = SamplerInfo.builder("seeds_2")
            .description("SEEDS-2: two-stage exponential SDE solver in data prediction")
            .order(2).calls(2, true).stochastic(true)
            .reference("Gonzalez et al. 2023 (SEEDS) SEEDS-2, data prediction; ComfyUI sample_seeds_2")
            .parameter(EulerAncestral.ETA).parameter(EulerAncestral.S_NOISE).parameter(R).parameter(SOLVER_TYPE)
            .create(o -> new Seeds2(o.real("eta"), o.real("s_noise"), o.real("r"), o.choice("solver_type").equals("phi_2")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        ModelSampling ms = ctx.sampling();
        sigmas = HalfLogSnr.offsetFirstSigma(ms, sigmas);
        float[] denoised = ctx.buffer(), x1 = ctx.buffer(), denoised1 = ctx.buffer();
        SeedsNoise noise = new SeedsNoise(ctx);
        boolean noisy = eta > 0 && sNoise > 0;
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            ctx.denoise(x, sigma, denoised);
            if (sigmaNext == 0) {
                Vec.copy(denoised, x);
                ctx.stepDone(i, sigmas, x, denoised);
                continue;
            }
            double lambdaS = HalfLogSnr.lambda(ms, sigma), lambdaT = HalfLogSnr.lambda(ms, sigmaNext);
            double h = lambdaT - lambdaS, hEta = h * (eta + 1);
            double sigma1 = HalfLogSnr.sigma(ms, lambdaS + r * h);
            double alpha1 = HalfLogSnr.alpha(ms, sigma1), alphaT = HalfLogSnr.alpha(ms, sigmaNext);

            // Stage 1, to lambda_s + r h.
            Vec.lin(x1, sigma1 / sigma * Math.exp(-r * h * eta), x, -alpha1 * SeedsNoise.hPhi1(-r * hEta), denoised);
            if (noisy) {
                noise.reset();
                Vec.axpy(sigma1 * sNoise, noise.advance(ctx, sigma, sigma1, r * h * eta), x1);
            }
            ctx.denoise(x1, sigma1, denoised1);

            // Stage 2, to lambda_t.
            double e1 = SeedsNoise.hPhi1(-hEta);
            double b2 = phi2 ? SeedsNoise.hPhi2(-hEta) / r : e1 / (2 * r);    // phi_1: D' = (1 - 1/(2r)) D + 1/(2r) D_1
            double b1 = e1 - b2;
            Vec.lin(x, sigmaNext / sigma * Math.exp(-h * eta), x, -alphaT * b1, denoised, -alphaT * b2, denoised1);
            if (noisy) {
                Vec.axpy(sigmaNext * sNoise, noise.advance(ctx, sigma1, sigmaNext, (1 - r) * h * eta), x);
            }
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
