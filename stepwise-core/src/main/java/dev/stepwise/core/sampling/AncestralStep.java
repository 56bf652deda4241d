package dev.stepwise.core.sampling;

import dev.stepwise.core.model.ModelSampling;

/**
 * The split of a step sigma -> sigmaNext into a deterministic move to sigmaDown and fresh noise of size
 * sigmaUp, after which the sample is x = alphaRatio * x + s_noise * sigmaUp * n.
 *
 * <p>VE form (k-diffusion's {@code get_ancestral_step}, from Ho et al. 2020's posterior variance):
 * sigmaUp = min(sigmaNext, eta sqrt(sigmaNext^2 (sigma^2 - sigmaNext^2) / sigma^2)),
 * sigmaDown = sqrt(sigmaNext^2 - sigmaUp^2), alphaRatio = 1.
 * Flow form (ComfyUI's {@code euler_ancestral_RF}): sigmaDown = sigmaNext (1 + (sigmaNext/sigma - 1) eta),
 * alphaRatio = (1 - sigmaNext) / (1 - sigmaDown) rescales the signal, and
 * sigmaUp = sqrt(sigmaNext^2 - sigmaDown^2 alphaRatio^2) restores the variance.
 */
public record AncestralStep(double sigmaDown, double sigmaUp, double alphaRatio) {

    public static AncestralStep of(ModelSampling sampling, double sigma, double sigmaNext, double eta) {
        if (eta == 0 || sigmaNext == 0) {
            return new AncestralStep(sigmaNext, 0, 1);
        }
        if (sampling.isFlow()) {
            double sigmaDown = sigmaNext * (1 + (sigmaNext / sigma - 1) * eta);
            double alphaRatio = (1 - sigmaNext) / (1 - sigmaDown);
            double up = Math.sqrt(Math.max(0, sigmaNext * sigmaNext - sigmaDown * sigmaDown * alphaRatio * alphaRatio));
            return new AncestralStep(sigmaDown, up, alphaRatio);
        }
        return ve(sigma, sigmaNext, eta);
    }

    /**
     * The VE split whatever the model (k-diffusion's {@code get_ancestral_step}); the SDE samplers apply
     * it to sigma / alpha = exp(-lambda) of any parameterisation.
     */
    public static AncestralStep ve(double sigma, double sigmaNext, double eta) {
        if (eta == 0 || sigmaNext == 0) {
            return new AncestralStep(sigmaNext, 0, 1);
        }
        double up = Math.min(sigmaNext, eta * Math.sqrt(sigmaNext * sigmaNext * (sigma * sigma - sigmaNext * sigmaNext) / (sigma * sigma)));
        double down = Math.sqrt(sigmaNext * sigmaNext - up * up);
        return new AncestralStep(down, up, 1);
    }
}
