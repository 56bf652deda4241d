package dev.stepwise.core.model;

import dev.stepwise.core.tensor.Tensor;
import java.util.List;

/**
 * The model contract every sampler works against, in the form of Karras et al. (2022) and
 * k-diffusion: {@code D(x, sigma, c)} is the estimate of the clean data x0 given the noisy x at noise
 * level sigma. Here x is in "VE form" x = x0 + sigma * n for discrete VP models (the wrapper scales the
 * network input) and in flow form x = (1 - sigma) x0 + sigma n for rectified-flow models.
 */
@FunctionalInterface
public interface Denoiser {

    /**
     * Writes D(x, sigma, cond[i]) for every batch row i into {@code out}.
     *
     * @param x     noisy batch, shape [B, ...]
     * @param sigma noise level shared by the batch
     * @param cond  one conditioning per batch row (size B)
     * @param out   output of x's shape; never aliases x
     */
    void denoise(Tensor x, double sigma, List<Conditioning> cond, Tensor out);

    /** Largest batch one call accepts; guidance splits larger batches (cond and uncond together count). */
    default int maxBatch() {
        return Integer.MAX_VALUE;
    }
}
