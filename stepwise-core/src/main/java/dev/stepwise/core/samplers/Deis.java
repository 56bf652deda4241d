package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.GaussLegendre;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * tAB-DEIS (Zhang and Chen 2023, "Fast Sampling of Diffusion Models with Exponential Integrator", the
 * polynomial extrapolation in t; ComfyUI's {@code sample_deis}, deis_mode 'tab'). The exponential integrator of
 * the eps-parameterised probability-flow ODE, written in the sigma variable (x = x_VP / alpha), is
 * x_{i+1} = x_i + integral over sigma of eps; tAB-DEIS replaces eps by the Lagrange polynomial through the last
 * k = min(i + 1, max_order) slopes d_{i-j} = (x - D) / sigma as a function of the VP time t, so
 * c_j = integral from sigma_i to sigma_{i+1} of L_j(t(sigma)) dsigma.
 *
 * <p>t(sigma) is the VP-SDE time of ComfyUI's {@code edm2t}: the linear-beta VP schedule with
 * sigma(t) = sqrt(exp(beta_d t^2 / 2 + beta_min t) - 1) fitted so that sigma(1e-3) = 0.002 and sigma(1) = 80,
 * inverted in closed form. ComfyUI integrates with a 10000-point Riemann sum; here each coefficient is a
 * 16-node Gauss-Legendre quadrature of a smooth integrand, exact to rounding. The step onto sigma = 0 is Euler.
 */
public record Deis(int maxOrder) implements Sampler {

    public static final Parameter MAX_ORDER = Parameter.integer("max_order", 3, 1, 3,
            "number of previous eps slopes in the Lagrange extrapolation (order of accuracy)");

    public static final SamplerInfo INFO = SamplerInfo.builder("deis")
            .description("tAB-DEIS: exponential integrator with Adams-Bashforth extrapolation of eps in VP time")
            .order(3).calls(1, false).stochastic(false)
            .reference("Zhang & Chen 2023 (DEIS), tAB-DEIS (Adams-Bashforth in t); ComfyUI sample_deis (deis_mode 'tab')")
            .parameter(MAX_ORDER)
            .create(o -> new Deis(o.integer("max_order")));

    private static final double EPSILON_S = 1e-3, SIGMA_MIN = 0.002, SIGMA_MAX = 80;
    private static final double BETA_D = 2 * (Math.log1p(SIGMA_MIN * SIGMA_MIN) / EPSILON_S
            - Math.log1p(SIGMA_MAX * SIGMA_MAX)) / (EPSILON_S - 1);
    private static final double BETA_MIN = Math.log1p(SIGMA_MAX * SIGMA_MAX) - 0.5 * BETA_D;
    private static final double[] GL_NODES = GaussLegendre.nodes(16), GL_WEIGHTS = GaussLegendre.weights(16);

    public Deis {
        if (maxOrder < 1 || maxOrder > 3) {
            throw new IllegalArgumentException("sampler deis: max_order = " + maxOrder + " is out of range; allowed: 1..3");
        }
    }

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        SlopeMultistep.sample(ctx, x, sigmas, maxOrder, Deis::weights);
    }

    /** The VP time of ComfyUI's edm2t: the inverse of sigma(t) = sqrt(exp(beta_d t^2 / 2 + beta_min t) - 1). */
    static double vpTime(double sigma) {
        return (Math.sqrt(BETA_MIN * BETA_MIN + 2 * BETA_D * Math.log1p(sigma * sigma)) - BETA_MIN) / BETA_D;
    }

    /** c_j = integral from sigmas[i] to sigmas[i + 1] of L_j(t(sigma)) dsigma over the nodes t_i, ..., t_{i-k+1}. */
    static double[] weights(double[] sigmas, int i, int k) {
        double a = sigmas[i], b = sigmas[i + 1];
        double[] nodes = new double[k];
        for (int j = 0; j < k; j++) {
            nodes[j] = vpTime(sigmas[i - j]);
        }
        double[] c = new double[k];
        for (int q = 0; q < GL_NODES.length; q++) {
            double sigma = (a + b) / 2 + (b - a) / 2 * GL_NODES[q];
            double t = vpTime(sigma), w = (b - a) / 2 * GL_WEIGHTS[q];
            for (int j = 0; j < k; j++) {
                double l = 1;
                for (int m = 0; m < k; m++) {
                    if (m != j) {
                        l *= (t - nodes[m]) / (nodes[j] - nodes[m]);
                    }
                }
                c[j] += w * l;
            }
        }
        return c;
    }
}
