package dev.stepwise.core.sampling;

import dev.stepwise.core.model.ModelSampling;

/**
 * The half log signal-to-noise ratio lambda = log(alpha / sigma) in which DPM-Solver++ (Lu et al. 2022,
 * arXiv:2211.01095) takes its steps, for a model whose samples are x = alpha x0 + sigma n: alpha = 1 in VE
 * form (lambda = -log sigma) and alpha = 1 - sigma for rectified flow (lambda = log((1 - sigma) / sigma)),
 * as ComfyUI's {@code sigma_to_half_log_snr} / {@code half_log_snr_to_sigma}.
 */
public final class HalfLogSnr {
    /** ComfyUI's {@code offset_first_sigma_for_snr}: a flow run starting at sigma >= 1 starts at 0.01% less noise. */
    private static final double FIRST_SIGMA_PERCENT_OFFSET = 1e-4;

    private HalfLogSnr() {
    }

    public static double lambda(ModelSampling ms, double sigma) {
        return ms.isFlow() ? Math.log((1 - sigma) / sigma) : -Math.log(sigma);
    }

    public static double sigma(ModelSampling ms, double lambda) {
        return ms.isFlow() ? 1 / (1 + Math.exp(lambda)) : Math.exp(-lambda);
    }

    /** alpha(sigma) = sigma exp(lambda): 1 in VE form, 1 - sigma for flow. */
    public static double alpha(ModelSampling ms, double sigma) {
        return ms.isFlow() ? 1 - sigma : 1;
    }

    /**
     * The sigmas with a flow run's first sigma >= 1 (lambda = -infinity) moved to the level at timestep
     * (1 - 1e-4) of the model's range, as ComfyUI's {@code offset_first_sigma_for_snr}; VE runs unchanged.
     */
    public static double[] offsetFirstSigma(ModelSampling ms, double[] sigmas) {
        if (sigmas.length <= 1 || !ms.isFlow() || sigmas[0] < 1) {
            return sigmas;
        }
        double[] s = sigmas.clone();
        s[0] = ms.sigma(ms.timestep(1.0) * (1 - FIRST_SIGMA_PERCENT_OFFSET));
        return s;
    }
}
