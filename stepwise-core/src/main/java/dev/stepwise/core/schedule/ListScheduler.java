package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;
import java.util.Arrays;

/**
 * A fixed sigma list as a scheduler (a schedule fitted to a model, ComfyUI's SIGMAS input of SamplerCustom). At
 * the list's own step count it gives the list exactly. At another count it resamples the list's positive values
 * by log-linear interpolation (ComfyUI's {@code loglinear_interp}, its recipe for Align Your Steps) to that many
 * values and appends the final 0, so the resampled list keeps the list's first and last positive sigma; one step
 * is [first sigma, 0] (numpy's one-point linspace would give the last one). A one-step list has a single
 * positive value, nothing to interpolate between, and runs at 1 step only. The list is walked as given:
 * {@link Sigmas#forRun} does not apply ComfyUI's discard-penultimate rule to it, which belongs to KSampler's
 * named schedulers, not to a sigma list. The model's own sigma range is ignored; whoever fits a list to one
 * model checks it against the model it is used on.
 */
public final class ListScheduler implements Scheduler {
    private final double[] sigmas;

    /**
     * @param sigmas steps + 1 values, finite, strictly decreasing, the last exactly 0
     * @throws IllegalArgumentException naming the first bad value
     */
    public ListScheduler(double... sigmas) {
        Sigmas.check(sigmas);
        if (sigmas[sigmas.length - 1] != 0) {
            throw new IllegalArgumentException("a fixed sigma list must end in 0, but its last value is "
                    + sigmas[sigmas.length - 1]);
        }
        this.sigmas = sigmas.clone();
    }

    /** The list as given. */
    public double[] sigmas() {
        return sigmas.clone();
    }

    /** The list's own step count: its length - 1. */
    public int steps() {
        return sigmas.length - 1;
    }

    @Override
    public double[] sigmas(ModelSampling sampling, int steps) {
        Sigmas.requireSteps(steps);
        if (steps == steps()) {
            return sigmas.clone();
        }
        if (steps() == 1) {
            throw new IllegalArgumentException("a 1-step sigma list has one positive sigma and cannot be resampled to "
                    + steps + " steps; run it at 1 step");
        }
        double[] out = new double[steps + 1];
        if (steps == 1) {
            out[0] = sigmas[0];
        } else {
            double[] resampled = Sigmas.loglinearInterp(Arrays.copyOf(sigmas, sigmas.length - 1), steps);
            System.arraycopy(resampled, 0, out, 0, steps);
        }
        return out;   // the final 0 is the array's default
    }
}
