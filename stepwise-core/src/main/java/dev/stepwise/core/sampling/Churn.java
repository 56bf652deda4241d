package dev.stepwise.core.sampling;

import dev.stepwise.core.param.Options;
import dev.stepwise.core.param.Parameter;
import java.util.List;

/**
 * EDM's stochastic "churn" (Karras et al. 2022, Algorithm 2, lines 4-6): before a step at sigma in
 * [s_tmin, s_tmax], raise the noise level to sigma_hat = sigma (1 + gamma) with
 * gamma = min(s_churn / steps, sqrt(2) - 1) by adding noise of std s_noise sqrt(sigma_hat^2 - sigma^2).
 * With s_churn = 0 (the default) the sampler is deterministic.
 */
public record Churn(double sChurn, double sTmin, double sTmax, double sNoise) {

    public static final List<Parameter> PARAMETERS = List.of(
            Parameter.real("s_churn", 0, 0, Double.POSITIVE_INFINITY, "amount of noise re-added per step (EDM S_churn)"),
            Parameter.real("s_tmin", 0, 0, Double.POSITIVE_INFINITY, "lowest sigma that gets churn"),
            Parameter.threshold("s_tmax", Double.POSITIVE_INFINITY, 0, "highest sigma that gets churn (inf: no limit)"),
            Parameter.real("s_noise", 1, 0, Double.POSITIVE_INFINITY, "scale of the added noise (EDM S_noise)"));

    public static Churn from(Options o) {
        return new Churn(o.real("s_churn"), o.real("s_tmin"), o.real("s_tmax"), o.real("s_noise"));
    }

    public boolean isDeterministic() {
        return sChurn == 0;
    }

    /**
     * Applies churn at step i of {@code steps} (adding noise to x) and returns sigma_hat, the level the
     * step then starts from. {@code noise} is a scratch buffer.
     */
    public double apply(SamplingContext ctx, float[] x, double sigma, double sigmaNext, int steps, float[] noise) {
        double gamma = sChurn > 0 && sigma >= sTmin && sigma <= sTmax ? Math.min(sChurn / steps, Math.sqrt(2) - 1) : 0;
        double sigmaHat = sigma * (gamma + 1);
        if (gamma > 0) {
            ctx.noise(sigma, sigmaNext, noise);
            dev.stepwise.core.tensor.Vec.axpy(sNoise * Math.sqrt(sigmaHat * sigmaHat - sigma * sigma), noise, x);
        }
        return sigmaHat;
    }
}
