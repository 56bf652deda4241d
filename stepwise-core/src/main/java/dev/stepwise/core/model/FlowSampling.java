package dev.stepwise.core.model;

/**
 * Rectified flow / flow matching (Liu et al. 2023; Esser et al. 2024, SD3): x = (1 - sigma) x0 + sigma n
 * with sigma in [0, 1]. The timestep shift moves noise levels up for large images: SD3 maps
 * t to shift t / (1 + (shift - 1) t) (SD3 paper eq. 23, shift 3.0), Flux to
 * e^mu / (e^mu + 1/t - 1) (ComfyUI's {@code flux_time_shift}, mu 1.15).
 */
public final class FlowSampling implements ModelSampling {

    /** How a uniform time t in (0, 1] is shifted to sigma. */
    public enum Shift {
        /** SD3: sigma = shift t / (1 + (shift - 1) t). */
        SD3,
        /** Flux: sigma = e^mu / (e^mu + (1/t - 1)). */
        FLUX
    }

    private final Shift kind;
    private final double shift;
    private final double multiplier;
    private final double[] sigmas;

    public FlowSampling(Shift kind, double shift, double multiplier, int timesteps) {
        if (kind == Shift.SD3 && (!(shift > 0) || Double.isInfinite(shift))) {
            throw new IllegalArgumentException("shift " + shift + " must be a finite number > 0");
        }
        // Flux's mu is an exponent (sigma = e^mu / (e^mu + 1/t - 1)): any finite value, 0 being no shift.
        if (kind == Shift.FLUX && !Double.isFinite(shift)) {
            throw new IllegalArgumentException("flux mu " + shift + " must be a finite number");
        }
        if (!(multiplier > 0) || timesteps < 2) {
            throw new IllegalArgumentException("multiplier must be > 0 and timesteps >= 2");
        }
        this.kind = kind;
        this.shift = shift;
        this.multiplier = multiplier;
        this.sigmas = new double[timesteps];
        for (int i = 0; i < timesteps; i++) {
            sigmas[i] = (float) sigma((i + 1.0) / timesteps * multiplier);
        }
    }

    /** SD3-style flow with the given shift, timesteps 0..1000. */
    public static FlowSampling sd3(double shift) {
        return new FlowSampling(Shift.SD3, shift, 1000, 1000);
    }

    /** Flux-style flow with exponential shift mu, timesteps 0..1. */
    public static FlowSampling flux(double mu) {
        return new FlowSampling(Shift.FLUX, mu, 1, 10000);
    }

    @Override
    public double sigmaMin() {
        return sigmas[0];
    }

    @Override
    public double sigmaMax() {
        return sigmas[sigmas.length - 1];
    }

    /** ComfyUI feeds the network sigma * multiplier (the shifted level, not the unshifted time). */
    @Override
    public double timestep(double sigma) {
        return sigma * multiplier;
    }

    /**
     * The shifted noise level at the unshifted time timestep / multiplier, as ComfyUI defines it: not the
     * inverse of {@link #timestep} unless the shift is the identity (sigma(timestep(s)) = shift(s)). The
     * timestep-walking schedulers (normal, sgm_uniform) rely on exactly this.
     */
    @Override
    public double sigma(double timestep) {
        double t = timestep / multiplier;
        return switch (kind) {
            case SD3 -> shift * t / (1 + (shift - 1) * t);
            case FLUX -> t <= 0 ? 0 : Math.exp(shift) / (Math.exp(shift) + (1 / t - 1));
        };
    }

    @Override
    public double inputScale(double sigma) {
        return 1.0;
    }

    @Override
    public Prediction prediction() {
        return Prediction.FLOW;
    }

    @Override
    public double[] sigmaTable() {
        return sigmas.clone();
    }

    public double shift() {
        return shift;
    }

    public Shift kind() {
        return kind;
    }

    @Override
    public void noiseScaling(double sigma, float[] noise, float[] latent, float[] out) {
        float s = (float) sigma;
        for (int i = 0; i < out.length; i++) {
            out[i] = s * noise[i] + (latent == null ? 0f : (1 - s) * latent[i]);
        }
    }

    /** ComfyUI's CONST.noise_scaling has no max_denoise variant: the flag is ignored. */
    @Override
    public void noiseScaling(double sigma, float[] noise, float[] latent, boolean maxDenoise, float[] out) {
        noiseScaling(sigma, noise, latent, out);
    }

    @Override
    public void inverseNoiseScaling(double sigma, float[] x) {
        if (sigma > 0 && sigma < 1) {
            float inv = (float) (1 / (1 - sigma));
            for (int i = 0; i < x.length; i++) {
                x[i] *= inv;
            }
        }
    }

    @Override
    public String describe() {
        return "rectified flow, " + (kind == Shift.SD3 ? "shift " : "flux mu ") + shift;
    }
}
