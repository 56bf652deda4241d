package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * Linear multistep (variable-step Adams-Bashforth) in sigma on the probability-flow ODE (k-diffusion's
 * {@code sample_lms}): x_{i+1} = x_i + sum_j c_j d_{i-j}, where c_j is the integral over [sigma_i, sigma_{i+1}] of
 * the Lagrange basis polynomial of node sigma_{i-j} over the last k sigmas (k = min(i + 1, order)). The first
 * steps warm up with lower orders; the step onto sigma = 0 returns D itself (the Euler step there).
 * k-diffusion integrates numerically; here the polynomial integral is exact.
 */
public record Lms(int order) implements Sampler {

    public static final Parameter ORDER = Parameter.integer("order", 4, 1, 4,
            "number of previous slopes combined (order of accuracy)");

    public static final SamplerInfo INFO = SamplerInfo.builder("lms")
            .description("linear multistep (Adams-Bashforth) in sigma over the last 4 slopes")
            .order(4).calls(1, false).stochastic(false)
            .reference("k-diffusion sample_lms (variable-step Adams-Bashforth, Hairer et al. III.1)")
            .parameter(ORDER)
            .create(o -> new Lms(o.integer("order")));

    public Lms {
        if (order < 1 || order > 4) {
            throw new IllegalArgumentException("sampler lms: order = " + order + " is out of range; allowed: 1..4");
        }
    }

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        SlopeMultistep.sample(ctx, x, sigmas, order, Lms::weights);
    }

    /** c_j for the step sigmas[i] -> sigmas[i + 1] over the nodes sigma_i, sigma_{i-1}, ..., sigma_{i-k+1}. */
    static double[] weights(double[] sigmas, int i, int k) {
        double[] nodes = new double[k], c = new double[k];
        for (int j = 0; j < k; j++) {
            nodes[j] = sigmas[i - j];
        }
        for (int j = 0; j < k; j++) {
            c[j] = lagrangeIntegral(nodes, j, sigmas[i + 1]);
        }
        return c;
    }

    /**
     * The exact integral from nodes[0] to {@code end} of the Lagrange basis polynomial that is 1 at nodes[j] and 0
     * at the other nodes. With tau = nodes[0] + u h, h = end - nodes[0], it is h times the integral over u in [0, 1]
     * of prod_{m != j} (u - u_m) / (u_j - u_m), u_m = (nodes[m] - nodes[0]) / h: the product is expanded into
     * monomial coefficients and integrated term by term (degree < 4, so nothing is approximated).
     */
    static double lagrangeIntegral(double[] nodes, int j, double end) {
        double h = end - nodes[0];
        double[] poly = new double[nodes.length];                  // coefficients of u^0..u^{k-1}
        poly[0] = 1;
        int degree = 0;
        double denominator = 1;
        double uj = (nodes[j] - nodes[0]) / h;
        for (int m = 0; m < nodes.length; m++) {
            if (m == j) {
                continue;
            }
            double um = (nodes[m] - nodes[0]) / h;
            for (int p = degree + 1; p >= 1; p--) {                 // poly *= (u - u_m)
                poly[p] = poly[p - 1] - um * poly[p];
            }
            poly[0] = -um * poly[0];
            degree++;
            denominator *= uj - um;
        }
        double integral = 0;
        for (int p = 0; p <= degree; p++) {
            integral += poly[p] / (p + 1);
        }
        return h * integral / denominator;
    }
}
