package dev.stepwise.core.samplers;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.sampling.HalfLogSnr;
import dev.stepwise.core.sampling.History;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * The step shared by dpmpp_2m_sde and dpmpp_3m_sde: the SDE variant of multistep DPM-Solver++ (Lu et al.
 * 2022, arXiv:2211.01095, section 5 and appendix; k-diffusion's {@code sample_dpmpp_2m_sde} /
 * {@code sample_dpmpp_3m_sde}). With h = lambda_t - lambda_s (half-log-SNR) and h_eta = (1 + eta) h, the
 * first-order part is the exact solution of the data-prediction SDE for a constant D,
 * x_t = (sigma_t / sigma_s) e^{-eta h} x_s + alpha_t (1 - e^{-h_eta}) D_s + sigma_t sqrt(1 - e^{-2 eta h}) s_noise z,
 * corrected with finite differences of past D's: one (2M; midpoint or Heun weight) or two (3M). The first
 * steps use the history they have; the step onto sigma = 0 returns D (one call).
 */
final class DpmppMultistepSde {
    private DpmppMultistepSde() {
    }

    /**
     * @param maxOrder 2 or 3: how many past estimates the correction uses at most
     * @param heun     the second-order weight: Heun's phi_2 (true) or the midpoint rule's (1 - e^{-h_eta}) / 2;
     *                 the 3M sampler uses Heun's while it has only one past estimate, as k-diffusion does
     */
    static void sample(SamplingContext ctx, float[] x, double[] sigmas, double eta, double sNoise,
                       int maxOrder, boolean heun) {
        ModelSampling ms = ctx.sampling();
        sigmas = HalfLogSnr.offsetFirstSigma(ms, sigmas);
        float[] denoised = ctx.buffer(), noise = ctx.buffer();
        History past = new History(ctx, maxOrder - 1);       // D of earlier steps, keyed by their h
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            ctx.denoise(x, sigma, denoised);
            if (sigmaNext == 0) {
                ctx.landOnDenoised(i, sigmas, x, denoised);
                continue;
            }
            double h = HalfLogSnr.lambda(ms, sigmaNext) - HalfLogSnr.lambda(ms, sigma);
            double hEta = h * (eta + 1);
            double alphaT = HalfLogSnr.alpha(ms, sigmaNext);
            double oneMinusE = -Math.expm1(-hEta);                  // 1 - e^{-h_eta}
            double phi2 = Math.expm1(-hEta) / hEta + 1;             // 1 - (1 - e^{-h_eta}) / h_eta
            Vec.lin(x, sigmaNext / sigma * Math.exp(-eta * h), x, alphaT * oneMinusE, denoised);

            if (maxOrder >= 3 && past.size() >= 2) {
                // 3M: d1 = D' + (D' - D'') r0 / (r0 + r1), d2 = (D' - D'') / (r0 + r1) with the divided
                // differences D' = (D - D_1) / r0, D'' = (D_1 - D_2) / r1; x += alpha_t (phi_2 d1 - phi_3 d2).
                double r0 = past.key(0) / h, r1 = past.key(1) / h;
                double phi3 = phi2 / hEta - 0.5;
                double c = r0 / (r0 + r1);
                double onFirst = alphaT * (phi2 * (1 + c) - phi3 / (r0 + r1));   // weight of (D - D_1) / r0
                double onSecond = alphaT * (-phi2 * c + phi3 / (r0 + r1));       // weight of (D_1 - D_2) / r1
                Vec.lin(x, 1, x, onFirst / r0, denoised, -onFirst / r0 + onSecond / r1, past.get(0),
                        -onSecond / r1, past.get(1));
            } else if (past.size() >= 1) {
                // 2M: x += alpha_t w (D - D_1) / r with r = h_1 / h.
                double r = past.key(0) / h;
                double w = heun ? phi2 : 0.5 * oneMinusE;
                Vec.lin(x, 1, x, alphaT * w / r, denoised, -alphaT * w / r, past.get(0));
            }

            if (eta > 0 && sNoise > 0) {
                ctx.noise(sigma, sigmaNext, noise);
                Vec.axpy(sigmaNext * Math.sqrt(-Math.expm1(-2 * h * eta)) * sNoise, noise, x);
            }
            past.push(denoised, h);
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
