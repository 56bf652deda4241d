package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import java.util.List;

/**
 * DPM-Solver++(2M) SDE (Lu et al. 2022, arXiv:2211.01095; k-diffusion's {@code sample_dpmpp_2m_sde}): the
 * multistep second-order data-prediction solver of the reverse SDE, with the midpoint or Heun weight on
 * the finite difference of the last two x0 estimates; see {@link DpmppMultistepSde}. With eta = 0 it is
 * the probability-flow solver DPM-Solver++(2M) (midpoint form). Noise defaults to a Brownian tree.
 */
public record Dpmpp2mSde(double eta, double sNoise, boolean heun) implements Sampler {

    public static final Parameter SOLVER_TYPE = Parameter.choice("solver_type", List.of("midpoint", "heun"),
            "weight of the second-order correction: midpoint rule or Heun's (phi_2)");

    public static final SamplerInfo INFO = SamplerInfo.builder("dpmpp_2m_sde")
            .description("multistep DPM-Solver++(2M) for the reverse SDE")
            .order(2).calls(1, false).stochastic(true).brownianNoise()
            .reference("Lu et al. 2022 (DPM-Solver++) 2M, SDE form; k-diffusion sample_dpmpp_2m_sde")
            .parameter(EulerAncestral.ETA).parameter(EulerAncestral.S_NOISE).parameter(SOLVER_TYPE)
            .create(o -> new Dpmpp2mSde(o.real("eta"), o.real("s_noise"), o.choice("solver_type").equals("heun")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        DpmppMultistepSde.sample(ctx, x, sigmas, eta, sNoise, 2, heun);
    }
}
