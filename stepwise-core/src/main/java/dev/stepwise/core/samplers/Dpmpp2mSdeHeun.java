package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.SamplerInfo;
import java.util.List;

/**
 * DPM-Solver++(2M) SDE with Heun's weight on the second-order correction (ComfyUI's
 * {@code sample_dpmpp_2m_sde_heun}): {@link Dpmpp2mSde} with solver_type = heun by default, under its own name.
 */
public final class Dpmpp2mSdeHeun {
    private Dpmpp2mSdeHeun() {
    }

    /** The same choice as {@link Dpmpp2mSde#SOLVER_TYPE}, with heun first (the default). */
    public static final Parameter SOLVER_TYPE = Parameter.choice("solver_type", List.of("heun", "midpoint"),
            Dpmpp2mSde.SOLVER_TYPE.description());

    public static final SamplerInfo INFO = SamplerInfo.builder("dpmpp_2m_sde_heun")
            .description("multistep DPM-Solver++(2M) for the reverse SDE, Heun (phi_2) correction")
            .order(2).calls(1, false).stochastic(true).brownianNoise()
            .reference("Lu et al. 2022 (DPM-Solver++) 2M, SDE form; ComfyUI sample_dpmpp_2m_sde_heun")
            .parameter(EulerAncestral.ETA).parameter(EulerAncestral.S_NOISE).parameter(SOLVER_TYPE)
            .create(o -> new Dpmpp2mSde(o.real("eta"), o.real("s_noise"), o.choice("solver_type").equals("heun")));
}
