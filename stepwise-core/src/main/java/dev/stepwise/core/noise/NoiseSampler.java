package dev.stepwise.core.noise;

/**
 * Per-step noise for ancestral and SDE samplers (k-diffusion's {@code noise_sampler(sigma, sigma_next)}):
 * standard-normal values for the step from sigma to sigmaNext. A plain generator ignores the sigmas; a
 * Brownian tree uses them so that the same path is seen whatever the step count.
 */
@FunctionalInterface
public interface NoiseSampler {

    /** Fills {@code out} with independent standard-normal values for the step sigma -> sigmaNext. */
    void sample(double sigma, double sigmaNext, float[] out);

    /** Noise drawn in sequence from a generator, ignoring the sigmas. */
    static NoiseSampler sequential(RandnGenerator generator) {
        return (sigma, sigmaNext, out) -> generator.randn(out);
    }
}
