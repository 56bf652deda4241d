package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Churn;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.sampling.TwoStageStep;

/**
 * Heun's method (the explicit trapezoidal rule) on the probability-flow ODE with optional EDM churn: Karras et
 * al. 2022 (EDM), Algorithm 2, lines 7-8: the Euler step to sigma_{i+1} predicts x, the slope there corrects it,
 * x_{i+1} = x_hat + (sigma_{i+1} - sigma_hat) (d_i + d'_i) / 2. The step onto sigma = 0 is plain Euler.
 */
public record Heun(Churn churn) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("heun")
            .description("Heun's second-order method on the probability-flow ODE (EDM Algorithm 2)")
            .order(2).calls(2, true).stochastic(false)
            .reference("Karras et al. 2022 (EDM), Algorithm 2")
            .parameters(Churn.PARAMETERS)
            .create(o -> new Heun(Churn.from(o)));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        // Second stage at sigma_{i+1}, slopes averaged (Algorithm 2, line 8).
        new TwoStageStep(churn, (sigmaHat, sigmaNext) -> sigmaNext, 0.5).sample(ctx, x, sigmas);
    }
}
