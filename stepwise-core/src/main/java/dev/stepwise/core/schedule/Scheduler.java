package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;

/**
 * Picks the noise levels of a run (ComfyUI's scheduler, k-diffusion's {@code get_sigmas_*}): steps + 1
 * values, strictly decreasing, the last one 0. Two table-based schedulers keep ComfyUI's exceptions:
 * {@code ddim_uniform} strides the table by int(T / steps) and so gives one step more when that stride
 * does not divide T - 1 evenly (e.g. 8 steps for 7 on a 1000-level table), and {@code beta} drops
 * repeated table indices and so gives fewer steps when asked for many (with the default alpha = beta = 0.6
 * on a 1000-level table, from 139 steps on: 138 levels).
 */
@FunctionalInterface
public interface Scheduler {

    double[] sigmas(ModelSampling sampling, int steps);
}
