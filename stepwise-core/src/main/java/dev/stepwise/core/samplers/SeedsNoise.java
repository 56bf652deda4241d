package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * The noise of a SEEDS step (Gonzalez et al. 2023, "SEEDS: Exponential SDE Solvers for Fast High-Quality
 * Sampling from Diffusion Models", arXiv:2305.14267): the stochastic integral of the
 * data-prediction SDE over [lambda_s, lambda_s + r h], in units of the stage's sigma, carried from stage to stage
 * so that all stages of a step see one Brownian path. Going from r_a to r_b with eta, it becomes
 * n_b = e^{-(r_b - r_a) h eta} n_a + sqrt(1 - e^{-2 (r_b - r_a) h eta}) z with fresh z, the exact
 * Ornstein-Uhlenbeck transition, so that each n_b is standard normal and correlated with the earlier stages as
 * the SDE requires. It starts from n = 0 at r = 0.
 */
final class SeedsNoise {
    private final float[] n;
    private final float[] z;

    SeedsNoise(SamplingContext ctx) {
        n = ctx.buffer();
        z = ctx.buffer();
    }

    /** Starts a step: n = 0 at r = 0. */
    void reset() {
        Vec.fill(n, 0);
    }

    /** Moves the noise on by {@code hEta} = (r_b - r_a) h eta, drawing z for the levels sigma_a -> sigma_b. */
    float[] advance(SamplingContext ctx, double sigmaA, double sigmaB, double hEta) {
        ctx.noise(sigmaA, sigmaB, z);
        Vec.lin(n, Math.exp(-hEta), n, Math.sqrt(-Math.expm1(-2 * hEta)), z);
        return n;
    }

    /** h phi_1(h) = e^h - 1 (ComfyUI's ei_h_phi_1). */
    static double hPhi1(double h) {
        return Math.expm1(h);
    }

    /** h phi_2(h) = (e^h - 1 - h) / h (ComfyUI's ei_h_phi_2). */
    static double hPhi2(double h) {
        return (Math.expm1(h) - h) / h;
    }
}
