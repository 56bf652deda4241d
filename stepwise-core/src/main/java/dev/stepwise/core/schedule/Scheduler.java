package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;

/**
 * Picks the noise levels of a run (ComfyUI's scheduler, k-diffusion's {@code get_sigmas_*}): steps + 1
 * values, decreasing, the last one 0.
 */
@FunctionalInterface
public interface Scheduler {

    double[] sigmas(ModelSampling sampling, int steps);
}
