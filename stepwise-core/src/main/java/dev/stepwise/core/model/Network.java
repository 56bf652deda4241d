package dev.stepwise.core.model;

import dev.stepwise.core.tensor.Tensor;
import java.util.List;

/**
 * A raw network as trained: it sees the scaled input and the timestep and outputs eps, v, x0 or a flow
 * velocity. {@link NetworkDenoiser} turns it into a {@link Denoiser}.
 */
@FunctionalInterface
public interface Network {

    /** Writes the raw prediction for every row of {@code input} at the given timestep into {@code out}. */
    void forward(Tensor input, double timestep, List<Conditioning> cond, Tensor out);

    default int maxBatch() {
        return Integer.MAX_VALUE;
    }
}
