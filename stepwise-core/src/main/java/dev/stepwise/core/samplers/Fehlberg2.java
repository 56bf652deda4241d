package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.ButcherTableau;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * Fehlberg's RKF 1(2) (Fehlberg 1969, NASA TR R-315, Table III) on the probability-flow ODE, propagating the
 * second-order solution as torchdiffeq's {@code fehlberg2} does: three stages at c = 0, 1/2, 1, weights
 * b = (1/512, 255/256, 1/512). The last stage sits at the first-order solution, not at x_{i+1}, so it is not
 * reused: three calls per step, one on the step onto sigma = 0 (see {@link ButcherTableau}).
 */
public record Fehlberg2() implements Sampler {

    static final ButcherTableau TABLEAU = new ButcherTableau("fehlberg2", 2, 1,
            new double[] {0, 1.0 / 2, 1},
            new double[][] {{}, {1.0 / 2}, {1.0 / 256, 255.0 / 256}},
            new double[] {1.0 / 512, 255.0 / 256, 1.0 / 512},
            new double[] {1.0 / 256, 255.0 / 256, 0}, false);

    public static final SamplerInfo INFO = SamplerInfo.builder("fehlberg2")
            .description("Runge-Kutta-Fehlberg 1(2), second-order solution, fixed steps on the probability-flow ODE")
            .order(2).calls(3, true).stochastic(false)
            .reference("Fehlberg 1969 (NASA TR R-315) RKF1(2); torchdiffeq fehlberg2")
            .create(o -> new Fehlberg2());

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        TABLEAU.sample(ctx, x, sigmas);
    }
}
