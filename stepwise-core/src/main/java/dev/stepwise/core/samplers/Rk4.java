package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.ButcherTableau;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * The classical fourth-order Runge-Kutta method (Kutta 1901; Hairer, Norsett and Wanner I, Table II.1.1, left) on
 * the probability-flow ODE: stages at c = 0, 1/2, 1/2, 1, weights (1, 2, 2, 1) / 6. Four calls per step, one on
 * the step onto sigma = 0 (see {@link ButcherTableau}).
 */
public record Rk4() implements Sampler {

    static final ButcherTableau TABLEAU = new ButcherTableau("rk4", 4, 0,
            new double[] {0, 1.0 / 2, 1.0 / 2, 1},
            new double[][] {{}, {1.0 / 2}, {0, 1.0 / 2}, {0, 0, 1}},
            new double[] {1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6}, null, false);

    public static final SamplerInfo INFO = SamplerInfo.builder("rk4")
            .description("classical fourth-order Runge-Kutta on the probability-flow ODE")
            .order(4).calls(TABLEAU.stagesPerStep(), true).stochastic(false)
            .reference("Kutta 1901; Hairer, Norsett and Wanner, Solving ODE I, Table II.1.1")
            .create(o -> new Rk4());

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        TABLEAU.sample(ctx, x, sigmas);
    }
}
