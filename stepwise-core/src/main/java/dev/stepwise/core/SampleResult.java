package dev.stepwise.core;

import dev.stepwise.core.guidance.ModelCalls;
import dev.stepwise.core.tensor.Tensor;
import java.time.Duration;

/**
 * A run's samples (shape [batch, sample shape...]) with the sigmas it walked, its model-call accounting
 * and its wall time.
 */
public record SampleResult(Tensor samples, double[] sigmas, ModelCalls calls, Duration elapsed) {
    public SampleResult {
        sigmas = sigmas.clone();
    }

    @Override
    public double[] sigmas() {
        return sigmas.clone();
    }

    /** Sampler steps taken. */
    public int steps() {
        return sigmas.length - 1;
    }
}
