package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Churn;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.sampling.TwoStageStep;

/**
 * DPM-Solver-2 written on the sigma ODE (k-diffusion's {@code sample_dpm_2}, after Lu et al. 2022, Algorithm 1
 * with r_1 = 1/2): a half step in log sigma, sigma_mid = exp((log sigma_hat + log sigma_{i+1}) / 2), then the
 * whole step with the midpoint's slope, x_{i+1} = x_hat + (sigma_{i+1} - sigma_hat) d(x_mid, sigma_mid). EDM churn
 * as in Karras et al. 2022, Algorithm 2; the step onto sigma = 0 is plain Euler.
 */
public record Dpm2(Churn churn) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("dpm_2")
            .description("DPM-Solver-2: midpoint in log sigma on the probability-flow ODE")
            .order(2).calls(2, true).stochastic(false).discardPenultimate()
            .reference("Lu et al. 2022 (DPM-Solver), Algorithm 1 (r1 = 1/2); k-diffusion sample_dpm_2")
            .parameters(Churn.PARAMETERS)
            .create(o -> new Dpm2(Churn.from(o)));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        // Second stage at the geometric mean of sigma_hat and sigma_{i+1}; its slope alone makes the step.
        new TwoStageStep(churn, (sigmaHat, sigmaNext) -> Math.sqrt(sigmaHat * sigmaNext), 1).sample(ctx, x, sigmas);
    }
}
