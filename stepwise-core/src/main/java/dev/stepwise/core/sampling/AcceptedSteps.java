package dev.stepwise.core.sampling;

import java.util.Arrays;

/**
 * The steps an adaptive sampler has accepted so far, for progress reports: it has no sigma list of its own, so
 * after each accepted step the listener sees step k going from the k-th accepted sigma to the next, out of the k + 1
 * steps taken so far.
 */
public final class AcceptedSteps {
    private double[] sigmas = new double[16];
    private int count;

    public AcceptedSteps(double start) {
        sigmas[0] = start;
    }

    /** Records a step ending at sigmaNext and reports it (x after the step, denoised at its start). */
    public void accept(SamplingContext ctx, double sigmaNext, float[] x, float[] denoised) {
        if (count + 2 > sigmas.length) {
            sigmas = Arrays.copyOf(sigmas, sigmas.length * 2);
        }
        sigmas[++count] = sigmaNext;
        ctx.stepDone(count - 1, Arrays.copyOf(sigmas, count + 1), x, denoised);
    }

    public int count() {
        return count;
    }
}
