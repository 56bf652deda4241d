package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * Adaptive Dormand-Prince 5(4) on the probability-flow ODE (torchdiffeq's {@code dopri5}, the name ComfyUI-ODE and
 * Forge's ODE samplers use): the {@link Dopri6} tableau with its embedded fourth-order solution as error estimate
 * and the standard step-size control (Hairer, Norsett and Wanner I, sec. II.4). It integrates from the first sigma
 * to the last positive one, starting with the schedule's first step and then choosing its own; a list ending in 0
 * ends with D(x) there (free: the FSAL stage already evaluated it). The FSAL stage makes accepted steps cost six
 * calls after the first; rejected ones cost six too.
 */
public record Dopri5(double rtol, double atol) implements Sampler {

    public static final Parameter RTOL = Parameter.positive("rtol", 1e-3, 0, 1,
            "relative tolerance of the local error per step");
    public static final Parameter ATOL = Parameter.positive("atol", 1e-4, 0, Double.POSITIVE_INFINITY,
            "absolute tolerance of the local error per step");

    public static final SamplerInfo INFO = SamplerInfo.builder("dopri5")
            .description("adaptive Dormand-Prince 5(4) on the probability-flow ODE; ignores the step count")
            .order(5).calls(6, false).stochastic(false).adaptive()
            .reference("Dormand and Prince 1980; Hairer, Norsett and Wanner I, sec. II.4 step control; torchdiffeq dopri5")
            .parameter(RTOL).parameter(ATOL)
            .create(o -> new Dopri5(o.real("rtol"), o.real("atol")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        Dopri6.TABLEAU.sampleAdaptive(ctx, x, sigmas, rtol, atol);
    }
}
