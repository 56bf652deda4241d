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
 * Exponential Heun in data prediction and half-log-SNR time (ComfyUI's {@code sample_exp_heun_2_x0}): SEEDS-2
 * (Gonzalez et al. 2023, arXiv:2305.14267, the two-stage SEEDS in VP data prediction; ComfyUI's
 * {@code sample_seeds_2}) with its intermediate point at the end of the step (r = 1) and no noise. With
 * h = lambda_t - lambda_s ({@link HalfLogSnr}), h_eta = (1 + eta) h, and the phi functions
 * h phi_1(-h) = e^{-h} - 1, h phi_2(-h) = (e^{-h} - 1 + h) / h:
 * <pre>
 *   x_2 = (sigma_t / sigma_s) e^{-eta h} x - alpha_t (e^{-h_eta} - 1) D          (DPM-Solver++(1) predictor)
 *         + sigma_t sqrt(1 - e^{-2 eta h}) s_noise z
 *   phi_2: x = (sigma_t / sigma_s) e^{-eta h} x - alpha_t (b_1 D + b_2 D(x_2)),
 *          b_2 = h_eta phi_2(-h_eta), b_1 = h_eta phi_1(-h_eta) - b_2              (exponential Heun corrector)
 *   phi_1: x = (sigma_t / sigma_s) e^{-eta h} x - alpha_t (e^{-h_eta} - 1) (D + D(x_2)) / 2
 * </pre>
 * plus, in the SDE form, the same noise z again (at r = 1 the second noise segment has zero length, so SEEDS-2
 * draws a second noise and weights it by 0; drawn here too so the noise stream matches). Two calls per step; the
 * step onto sigma = 0 returns D (one call).
 */
public record ExpHeun2X0(double eta, double sNoise, boolean phi2) implements Sampler {

    public static final Parameter SOLVER_TYPE = Parameter.choice("solver_type", List.of("phi_2", "phi_1"),
            "corrector weights: exponential-integrator phi_2 (Heun in lambda) or the plain average of the two D's");

    public static final SamplerInfo INFO = SamplerInfo.builder("exp_heun_2_x0")
            .description("exponential Heun (second order) in data prediction and half-log-SNR time")
            .order(2).calls(2, true).stochastic(false)
            .reference("Gonzalez et al. 2023 (SEEDS-2, r = 1, eta = 0); ComfyUI sample_exp_heun_2_x0")
            .parameter(SOLVER_TYPE)
            .create(o -> new ExpHeun2X0(0, 0, o.choice("solver_type").equals("phi_2")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        seeds2(ctx, x, sigmas, eta, sNoise, 1, phi2);
    }

    /**
     * SEEDS-2 with its intermediate point at lambda_s + r h (ComfyUI's {@code sample_seeds_2}); see the class
     * comment for r = 1. The noise of the second segment is the first one carried over (decayed by
     * e^{(r - 1) eta h}) plus fresh noise of variance 1 - e^{2 (r - 1) eta h}.
     */
    static void seeds2(SamplingContext ctx, float[] x, double[] sigmas, double eta, double sNoise, double r,
                       boolean phi2) {
        ModelSampling ms = ctx.sampling();
        sigmas = HalfLogSnr.offsetFirstSigma(ms, sigmas);
        boolean noisy = eta > 0 && sNoise > 0;
        float[] denoised = ctx.buffer(), x2 = ctx.buffer(), denoised2 = ctx.buffer();
        float[] sdeNoise = noisy ? ctx.buffer() : null, fresh = noisy ? ctx.buffer() : null;
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            ctx.denoise(x, sigma, denoised);
            if (sigmaNext == 0) {
                ctx.landOnDenoised(i, sigmas, x, denoised);
                continue;
            }
            double lambdaS = HalfLogSnr.lambda(ms, sigma), lambdaT = HalfLogSnr.lambda(ms, sigmaNext);
            double h = lambdaT - lambdaS, hEta = h * (eta + 1);
            double lambdaS1 = lambdaS + r * h;
            double sigmaS1 = r == 1 ? sigmaNext : HalfLogSnr.sigma(ms, lambdaS1);
            double alphaS1 = HalfLogSnr.alpha(ms, sigmaS1), alphaT = HalfLogSnr.alpha(ms, sigmaNext);

            // Stage 1: exact step for constant D to lambda_s1, plus its share of the noise.
            Vec.lin(x2, sigmaS1 / sigma * Math.exp(-r * h * eta), x, -alphaS1 * Math.expm1(-r * hEta), denoised);
            if (noisy) {
                ctx.noise(sigma, sigmaS1, sdeNoise);
                Vec.scale(sdeNoise, Math.sqrt(-Math.expm1(-2 * r * h * eta)));
                Vec.axpy(sigmaS1 * sNoise, sdeNoise, x2);
            }
            ctx.denoise(x2, sigmaS1, denoised2);

            // Stage 2: the corrector to lambda_t.
            double decay = sigmaNext / sigma * Math.exp(-h * eta);
            double phi1 = Math.expm1(-hEta);                              // h phi_1(-h_eta)
            if (phi2) {
                double b2 = (Math.expm1(-hEta) + hEta) / -hEta / r;      // h phi_2(-h_eta) / r
                double b1 = phi1 - b2;
                Vec.lin(x, decay, x, -alphaT * b1, denoised, -alphaT * b2, denoised2);
            } else {
                double fac = 1 / (2 * r);
                Vec.lin(x, decay, x, -alphaT * phi1 * (1 - fac), denoised, -alphaT * phi1 * fac, denoised2);
            }
            if (noisy) {
                double segment = (r - 1) * h * eta;
                ctx.noise(sigmaS1, sigmaNext, fresh);
                Vec.lin(sdeNoise, Math.exp(segment), sdeNoise, Math.sqrt(-Math.expm1(2 * segment)), fresh);
                Vec.axpy(sigmaNext * sNoise, sdeNoise, x);
            }
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
