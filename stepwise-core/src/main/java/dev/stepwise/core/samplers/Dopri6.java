package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.ButcherTableau;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * Dormand-Prince 5(4) (Dormand and Prince 1980, J. Comp. Appl. Math. 6, Table 2; Hairer, Norsett and Wanner I,
 * Table II.5.2) in fixed steps on the probability-flow ODE, propagating the fifth-order solution. Of its seven
 * stages the seventh is FSAL (at x_{i+1}, weight 0, used only by the error estimate), so a fixed step costs six
 * calls: the name counts those. One call on the step onto sigma = 0 (see {@link ButcherTableau}). The adaptive
 * variant is {@link Dopri5}.
 */
public record Dopri6() implements Sampler {

    static final ButcherTableau TABLEAU = new ButcherTableau("dopri", 5, 4,
            new double[] {0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1},
            new double[][] {
                    {},
                    {1.0 / 5},
                    {3.0 / 40, 9.0 / 40},
                    {44.0 / 45, -56.0 / 15, 32.0 / 9},
                    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
                    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
                    {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}},
            new double[] {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0},
            new double[] {5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40},
            true);

    public static final SamplerInfo INFO = SamplerInfo.builder("dopri6")
            .description("Dormand-Prince fifth-order Runge-Kutta (6 calls per step), fixed steps on the probability-flow ODE")
            .order(5).calls(TABLEAU.stagesPerStep(), true).stochastic(false)
            .reference("Dormand and Prince 1980, Table 2 (RK5(4)7FM)")
            .create(o -> new Dopri6());

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        TABLEAU.sample(ctx, x, sigmas);
    }
}
