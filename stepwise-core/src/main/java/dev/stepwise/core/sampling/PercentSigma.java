package dev.stepwise.core.sampling;

import dev.stepwise.core.model.ModelSampling;

/**
 * ComfyUI's {@code model_sampling.percent_to_sigma}: the noise level reached after a share {@code percent}
 * of the model's timestep range, walked from the noisiest end (0 -> the top, 1 -> 0). Discrete VP models take
 * the table level at timestep (1 - percent) * 999; continuous VE (EDM) models interpolate log sigma between
 * sigma_max and sigma_min; flow models take the shifted level at time 1 - percent.
 */
public final class PercentSigma {
    private PercentSigma() {
    }

    public static double of(ModelSampling ms, double percent) {
        if (percent <= 0) {
            return ms.isFlow() ? 1.0 : 999999999.9;
        }
        if (percent >= 1) {
            return 0;
        }
        if (ms.isFlow()) {
            return ms.sigma(ms.timestep(1.0) * (1 - percent));
        }
        // VP: timestep(sigma_min) = 0, so this is sigma((1 - percent) * t_max); EDM: timestep is linear in log sigma.
        double tMin = ms.timestep(ms.sigmaMin()), tMax = ms.timestep(ms.sigmaMax());
        return ms.sigma(tMin + (1 - percent) * (tMax - tMin));
    }
}
