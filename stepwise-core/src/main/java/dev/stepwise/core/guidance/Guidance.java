package dev.stepwise.core.guidance;

import dev.stepwise.core.model.Denoiser;
import dev.stepwise.core.tensor.Tensor;

/** Combines the conditional and unconditional predictions of a model into the one the sampler sees. */
public interface Guidance {

    /**
     * Writes the guided x0 estimate into {@code out} and, when {@code uncondOut} is not null, the
     * unconditional estimate into it (CFG++ samplers step along it).
     */
    void predict(Denoiser model, Tensor x, double sigma, Conditions conditions, Tensor out, Tensor uncondOut,
                 ModelCalls.Counter calls);

    /** The guidance scale, for metadata. */
    double scale();
}
