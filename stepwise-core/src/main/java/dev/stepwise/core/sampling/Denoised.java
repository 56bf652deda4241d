package dev.stepwise.core.sampling;

import dev.stepwise.core.tensor.Vec;

/**
 * The x0 estimates one model evaluation gives a sampler that has a CFG++ variant (Chung et al. 2024, "CFG++:
 * Manifold-constrained Classifier Free Guidance for Diffusion Models", arXiv:2406.08070).
 * CFG++ lands on the guided estimate D_g = D_u + w (D_c - D_u) but renoises along the unconditional one: the noise
 * it keeps is eps = (x - alpha D_u) / sigma, not (x - alpha D_g) / sigma. So a step has two x0 roles:
 * {@link #guided()} (where the step lands) and {@link #direction()} (the x0 that defines the noise direction, and
 * what a multistep sampler keeps in its history). A plain sampler uses D_g for both: {@code direction()} is then
 * the same array, and {@link #addGuidance} does nothing, so base sampler and CFG++ variant share one loop.
 *
 * <p>Every CFG++ update in ComfyUI's {@code comfy/k_diffusion/sampling.py} is the base update computed with D_u
 * plus a multiple of the guidance D_g - D_u, the multiple being sampler-specific (alpha of the target level for
 * the DDIM-type steps): {@code addGuidance(x, c)} adds that term.
 */
public final class Denoised {
    private final float[] guided;
    private final float[] direction;
    private final boolean cfgPp;

    private Denoised(float[] guided, float[] direction, boolean cfgPp) {
        this.guided = guided;
        this.direction = direction;
        this.cfgPp = cfgPp;
    }

    /** Buffers for one evaluation's estimates (allocate before the loop). */
    public static Denoised of(SamplingContext ctx, boolean cfgPp) {
        float[] g = ctx.buffer();
        return new Denoised(g, cfgPp ? ctx.buffer() : g, cfgPp);
    }

    /** One model evaluation (one NFE) at (x, sigma): the guided estimate, and under CFG++ the unconditional one. */
    public void evaluate(SamplingContext ctx, float[] x, double sigma) {
        ctx.denoise(x, sigma, guided, cfgPp ? direction : null);
    }

    /** D_g, the guided x0 estimate. */
    public float[] guided() {
        return guided;
    }

    /** The x0 that defines the renoising direction: D_u under CFG++, otherwise D_g (the same array). */
    public float[] direction() {
        return direction;
    }

    public boolean cfgPp() {
        return cfgPp;
    }

    /** x += c (D_g - D_u) under CFG++; nothing otherwise. */
    public void addGuidance(float[] x, double c) {
        if (cfgPp && c != 0) {
            Vec.lin(x, 1, x, c, guided, -c, direction);
        }
    }

    /**
     * The first-order data-prediction step from sigma to sigmaTo, in place: DDIM (Song et al. 2021, eq. 12), i.e. the
     * Euler step of dx/dsigma = (x - D) / sigma: x = (sigmaTo / sigma) x + (1 - sigmaTo / sigma) D. Written with
     * x = alpha x0 + sigma eps this is x = alphaTo D + sigmaTo eps both in VE form (alpha = 1) and for rectified flow
     * (alpha = 1 - sigma). Under CFG++ (Chung et al. 2024: DDIM with CFG++) it is x = alphaTo D_g + sigmaTo eps_u with
     * eps_u = (x - alpha D_u) / sigma: the step with D_u plus alphaTo (D_g - D_u).
     */
    public void ddimStep(float[] x, double sigma, double sigmaTo, double alphaTo) {
        double r = sigmaTo / sigma;
        Vec.lin(x, r, x, 1 - r, direction);
        addGuidance(x, alphaTo);
    }
}
