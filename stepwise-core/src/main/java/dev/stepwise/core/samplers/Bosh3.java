package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.ButcherTableau;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * Bogacki-Shampine 3(2) (Bogacki and Shampine 1989, Appl. Math. Lett. 2(4), eq. 2) on the probability-flow ODE:
 * stages at c = 0, 1/2, 3/4, third-order weights b = (2/9, 1/3, 4/9). Its fourth stage is FSAL (evaluated at
 * x_{i+1} for the embedded estimate only), so fixed steps cost three calls: the next step's first call is that
 * stage. One call on the step onto sigma = 0 (see {@link ButcherTableau}).
 */
public record Bosh3() implements Sampler {

    static final ButcherTableau TABLEAU = new ButcherTableau("bosh3", 3, 2,
            new double[] {0, 1.0 / 2, 3.0 / 4, 1},
            new double[][] {{}, {1.0 / 2}, {0, 3.0 / 4}, {2.0 / 9, 1.0 / 3, 4.0 / 9}},
            new double[] {2.0 / 9, 1.0 / 3, 4.0 / 9, 0},
            new double[] {7.0 / 24, 1.0 / 4, 1.0 / 3, 1.0 / 8}, true);

    public static final SamplerInfo INFO = SamplerInfo.builder("bosh3")
            .description("Bogacki-Shampine third-order Runge-Kutta, fixed steps on the probability-flow ODE")
            .order(3).calls(TABLEAU.stagesPerStep(), true).stochastic(false)
            .reference("Bogacki and Shampine 1989, eq. 2 (FSAL); torchdiffeq bosh3")
            .create(o -> new Bosh3());

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        TABLEAU.sample(ctx, x, sigmas);
    }
}
