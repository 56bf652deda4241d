package dev.stepwise.core.model;

import java.util.Locale;

/**
 * Training noise schedules of discrete VP models, under diffusers' names. Beware: the CompVis/ldm code,
 * SD's yaml files and ComfyUI ({@code make_beta_schedule}) call {@link #SCALED_LINEAR} "linear" and
 * {@link #LINEAR} "sqrt_linear". Betas are computed in float64 as ComfyUI does (diffusers computes
 * scaled_linear in float32, which moves the last digits of its sigmas).
 */
public enum BetaSchedule {
    /**
     * betas = linspace(sqrt(start), sqrt(end), T)^2: SD1.x, SD2.x, SDXL with 0.00085..0.012 (ComfyUI and
     * ldm: "linear").
     */
    SCALED_LINEAR,
    /** betas = linspace(start, end, T): the original DDPM (Ho et al. 2020) with 1e-4..0.02 (ldm: "sqrt_linear"). */
    LINEAR,
    /**
     * alpha_bar(t) = f(t) / f(0), f(t) = cos^2(((t/T) + s) / (1 + s) * pi / 2), s = 0.008, betas clipped
     * to 0.999 (Nichol and Dhariwal 2021, eq. 17; diffusers: "squaredcos_cap_v2"; ComfyUI: "cosine").
     */
    COSINE;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static BetaSchedule parse(String s) {
        for (BetaSchedule b : values()) {
            if (b.id().equalsIgnoreCase(s)) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown beta schedule '" + s + "'; allowed: scaled_linear, linear, cosine");
    }

    /** The T betas of this schedule. */
    public double[] betas(double linearStart, double linearEnd, int timesteps) {
        double[] b = new double[timesteps];
        switch (this) {
            case SCALED_LINEAR -> {
                double a = Math.sqrt(linearStart), z = Math.sqrt(linearEnd);
                for (int i = 0; i < timesteps; i++) {
                    double v = a + (z - a) * i / (timesteps - 1.0);
                    b[i] = v * v;
                }
            }
            case LINEAR -> {
                for (int i = 0; i < timesteps; i++) {
                    b[i] = linearStart + (linearEnd - linearStart) * i / (timesteps - 1.0);
                }
            }
            case COSINE -> {
                double s = 8e-3;
                double[] ab = new double[timesteps + 1];
                for (int i = 0; i <= timesteps; i++) {
                    double c = Math.cos(((double) i / timesteps + s) / (1 + s) * Math.PI / 2);
                    ab[i] = c * c;
                }
                for (int i = 0; i < timesteps; i++) {
                    b[i] = Math.min(Math.max(1 - ab[i + 1] / ab[i], 0), 0.999);
                }
            }
            default -> throw new AssertionError(this);
        }
        return b;
    }
}
