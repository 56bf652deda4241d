package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * The single-step DPM-Solver-1, -2 and -3 updates (Lu et al. 2022, arXiv:2206.00927, Algorithms 4-5, eqs. 3.7
 * and B.3 with r1 = 1/3, r2 = 2/3) in noise-prediction form with time t = -log sigma, as k-diffusion's
 * {@code DPMSolver} uses them for dpm_fast and dpm_adaptive. With eps = (x - D(x, sigma)) / sigma (the
 * probability-flow slope) and h = t_next - t:
 * <pre>
 *   DPM-Solver-1: x - sigma_next (e^h - 1) eps                       (= the Euler step in sigma)
 *   DPM-Solver-2: u = x - sigma_s1 (e^{r1 h} - 1) eps at t + r1 h;
 *                 x - sigma_next (e^h - 1) eps - sigma_next / (2 r1) (e^h - 1) (eps(u) - eps)
 *   DPM-Solver-3: u1 as above (r1 = 1/3); u2 = x - sigma_s2 (e^{r2 h} - 1) eps
 *                   - sigma_s2 (r2 / r1) ((e^{r2 h} - 1) / (r2 h) - 1) (eps(u1) - eps);
 *                 x - sigma_next (e^h - 1) eps - sigma_next / r2 ((e^h - 1) / h - 1) (eps(u2) - eps)
 * </pre>
 * Within one step the slopes are cached by their point, as k-diffusion's eps_cache: the 2-step with r1 = 1/3 and
 * the 3-step share eps and eps(u1), so the adaptive 2(3) pair costs three calls.
 */
final class DpmSolver {
    private final SamplingContext ctx;
    final float[] eps, denoised;
    private final float[] epsR1, epsR2, u;
    private boolean haveR1, haveR2;

    DpmSolver(SamplingContext ctx) {
        this.ctx = ctx;
        eps = ctx.buffer();
        denoised = ctx.buffer();
        epsR1 = ctx.buffer();
        epsR2 = ctx.buffer();
        u = ctx.buffer();
    }

    static double sigma(double t) {
        return Math.exp(-t);
    }

    /**
     * The smallest positive sigma of a list that ends in zero or at sigma_min: k-diffusion's dpm_fast and
     * dpm_adaptive integrate in t from sigmas[0] to it and take no final step to zero.
     */
    static double sigmaMin(double[] sigmas, String sampler) {
        double last = sigmas[sigmas.length - 1];
        double sigmaMin = last > 0 ? last : sigmas[sigmas.length - 2];
        if (!(sigmaMin > 0)) {
            throw new IllegalArgumentException(sampler + " needs a positive sigma before the end of the list");
        }
        return sigmaMin;
    }

    static double t(double sigma) {
        return -Math.log(sigma);
    }

    /** Starts a step at x, time t: one model call for eps (and D, kept in {@link #denoised}). */
    void begin(float[] x, double t) {
        double s = sigma(t);
        ctx.denoise(x, s, denoised);
        Vec.derivative(eps, x, denoised, s);
        haveR1 = false;
        haveR2 = false;
    }

    void first(float[] x, double t, double tNext, float[] out) {
        double h = tNext - t;
        Vec.lin(out, 1, x, -sigma(tNext) * Math.expm1(h), eps);
    }

    void second(float[] x, double t, double tNext, double r1, float[] out) {
        double h = tNext - t;
        slopeR1(x, t, h, r1);
        double e = sigma(tNext) * Math.expm1(h);
        Vec.lin(out, 1, x, -e + e / (2 * r1), eps, -e / (2 * r1), epsR1);
    }

    void third(float[] x, double t, double tNext, float[] out) {
        double r1 = 1.0 / 3, r2 = 2.0 / 3;
        double h = tNext - t;
        slopeR1(x, t, h, r1);
        if (!haveR2) {
            double s2 = sigma(t + r2 * h);
            double c = s2 * (r2 / r1) * phi1Minus1(r2 * h);
            Vec.lin(u, 1, x, -s2 * Math.expm1(r2 * h) + c, eps, -c, epsR1);
            slope(u, t + r2 * h, epsR2);
            haveR2 = true;
        }
        double e = sigma(tNext) * Math.expm1(h);
        double c = sigma(tNext) / r2 * phi1Minus1(h);
        Vec.lin(out, 1, x, -e + c, eps, -c, epsR2);
    }

    private void slopeR1(float[] x, double t, double h, double r1) {
        if (!haveR1) {
            double s1 = sigma(t + r1 * h);
            Vec.lin(u, 1, x, -s1 * Math.expm1(r1 * h), eps);
            slope(u, t + r1 * h, epsR1);
            haveR1 = true;
        }
    }

    private void slope(float[] at, double t, float[] out) {
        double s = sigma(t);
        ctx.denoise(at, s, out);
        Vec.derivative(out, at, out, s);
    }

    /** (e^h - 1) / h - 1, with its limit 0 at h = 0 (a zero-length step). */
    private static double phi1Minus1(double h) {
        return h == 0 ? 0 : Math.expm1(h) / h - 1;
    }
}
