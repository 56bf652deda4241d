package dev.stepwise.core.sampling;

/** Told after each sampler step (k-diffusion's {@code callback}); for progress bars and previews. */
@FunctionalInterface
public interface StepListener {

    /**
     * @param step     index of the finished step, 0-based
     * @param steps    number of steps of the run
     * @param sigma    the noise level the step started at
     * @param x        the current sample (do not modify)
     * @param denoised the latest x0 estimate (do not modify)
     */
    void onStep(int step, int steps, double sigma, float[] x, float[] denoised);

    StepListener NONE = (step, steps, sigma, x, denoised) -> {
    };
}
