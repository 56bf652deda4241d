package dev.stepwise.core.sampling;

import dev.stepwise.core.model.ModelSampling;

/**
 * The forward (noising) transition from a lower noise level to a higher one, as an {@link AncestralStep}
 * for {@link SamplingContext#renoise}: x_high = alphaRatio x_low + sigmaUp n, with n fresh standard noise.
 * It is the diffusion's own transition kernel q(x_high | x_low), so a sample of the marginal at the low
 * level becomes an exact sample of the marginal at the high one.
 *
 * <p>VE form (x = x0 + sigma n): alphaRatio = 1, sigmaUp = sqrt(high^2 - low^2) (Restart, Xu et al. 2023,
 * the restart forward step; LCM's re-noising from low = 0). Flow form (x = (1 - sigma) x0 + sigma n):
 * alphaRatio = (1 - high) / (1 - low) rescales the signal and sigmaUp = sqrt(high^2 - (alphaRatio low)^2)
 * completes the noise variance; from low = 0 that is ComfyUI's {@code noise_scaling} for flow models.
 */
public final class ForwardNoise {
    private ForwardNoise() {
    }

    /** The transition from noise level {@code low} up to {@code high} (high >= low >= 0). */
    public static AncestralStep between(ModelSampling ms, double low, double high) {
        if (!(high >= low) || low < 0) {
            throw new IllegalArgumentException("forward noising needs 0 <= low <= high, got " + low + " -> " + high);
        }
        if (ms.isFlow()) {
            double ratio = (1 - high) / (1 - low);
            double carried = ratio * low;
            return new AncestralStep(high, Math.sqrt(Math.max(0, high * high - carried * carried)), ratio);
        }
        return new AncestralStep(high, Math.sqrt(high * high - low * low), 1);
    }
}
