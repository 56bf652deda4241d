package dev.stepwise.core.model;

/**
 * A model's parameterisation of noise levels (ComfyUI's {@code model_sampling}): its sigma range, the
 * map between sigma and the network's timestep, the network input scaling, how a run's first noise is
 * formed, and the table of discrete sigmas that table-based schedulers walk.
 */
public interface ModelSampling {

    double sigmaMin();

    double sigmaMax();

    /** The network timestep for noise level sigma. */
    double timestep(double sigma);

    /** The noise level at a (possibly fractional) network timestep. */
    double sigma(double timestep);

    /** c_in: the factor the network input x is multiplied by at sigma. */
    double inputScale(double sigma);

    Prediction prediction();

    /**
     * The model's discrete noise levels in ascending order (the 1000 training sigmas of a VP model); the
     * {@code simple}, {@code ddim_uniform}, {@code beta} and AYS/GITS schedulers index into it.
     */
    double[] sigmaTable();

    /** True for rectified-flow models, whose samples are x = (1 - sigma) x0 + sigma n. */
    default boolean isFlow() {
        return prediction() == Prediction.FLOW;
    }

    /**
     * The starting point of a run at noise level sigma from standard-normal noise and an optional
     * latent (null for text-to-image): x = sigma * noise + latent in VE form.
     */
    default void noiseScaling(double sigma, float[] noise, float[] latent, float[] out) {
        float s = (float) sigma;
        for (int i = 0; i < out.length; i++) {
            out[i] = s * noise[i] + (latent == null ? 0f : latent[i]);
        }
    }

    /**
     * ComfyUI's {@code max_denoise} test (comfy/samplers.py, Sampler.max_denoise): the run starts at the
     * model's largest noise level (math.isclose with rel_tol 1e-5) or above it.
     */
    default boolean isMaxDenoise(double firstSigma) {
        double m = sigmaMax();
        return Math.abs(m - firstSigma) <= 1e-5 * Math.max(Math.abs(m), Math.abs(firstSigma)) || firstSigma > m;
    }

    /**
     * The starting point as ComfyUI's KSampler forms it: with {@code maxDenoise} (see {@link #isMaxDenoise})
     * a VE-form model scales the noise by sqrt(1 + sigma^2) instead of sigma, i.e. draws x_T ~ N(0, I) in
     * the VP variable x / sqrt(1 + sigma^2) (the DDPM prior) rather than x = sigma n; at SD1.x's sigma_max
     * 14.6146 that is 14.6488. Flow models ignore the flag.
     */
    default void noiseScaling(double sigma, float[] noise, float[] latent, boolean maxDenoise, float[] out) {
        noiseScaling(maxDenoise ? Math.sqrt(1 + sigma * sigma) : sigma, noise, latent, out);
    }

    /** Maps the sampler's final x back to the data (identity except for flow models stopped above 0). */
    default void inverseNoiseScaling(double sigma, float[] x) {
    }

    /** One line describing the parameterisation, for logs and output metadata. */
    String describe();
}
