package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * The stochastic exponential Heun (ComfyUI's {@code sample_exp_heun_2_x0_sde}): SEEDS-2 at r = 1 with eta and
 * s_noise (defaults 1); see {@link ExpHeun2X0}. Each step's predictor moves along the data-prediction SDE with
 * noise sigma_t sqrt(1 - e^{-2 eta h}) z and the corrector reuses the same z, so the step's noise is that of the
 * exact SDE solution for constant D. With eta = 0 it is {@code exp_heun_2_x0}. Step noise is sequential, as
 * ComfyUI's default noise sampler.
 */
public record ExpHeun2X0Sde(double eta, double sNoise, boolean phi2) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("exp_heun_2_x0_sde")
            .description("stochastic exponential Heun (SEEDS-2 at r = 1) in data prediction and half-log-SNR time")
            .order(2).calls(2, true).stochastic(true)
            .reference("Gonzalez et al. 2023 (SEEDS-2, r = 1); ComfyUI sample_exp_heun_2_x0_sde")
            .parameter(EulerAncestral.ETA).parameter(EulerAncestral.S_NOISE).parameter(ExpHeun2X0.SOLVER_TYPE)
            .create(o -> new ExpHeun2X0Sde(o.real("eta"), o.real("s_noise"), o.choice("solver_type").equals("phi_2")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        ExpHeun2X0.seeds2(ctx, x, sigmas, eta, sNoise, 1, phi2);
    }
}
