package dev.stepwise.core.sampling;

/**
 * Gauss-Legendre quadrature on [-1, 1]: n nodes integrate polynomials of degree up to 2n - 1 exactly, which is how
 * exponential-integrator samplers get their step coefficients without a Riemann sum. Nodes are the roots of the
 * Legendre polynomial P_n, found by Newton's method from Chebyshev guesses; weights are 2 / ((1 - x^2) P_n'(x)^2).
 */
public final class GaussLegendre {
    private GaussLegendre() {
    }

    /** The n nodes, in decreasing order. */
    public static double[] nodes(int n) {
        return rule(n)[0];
    }

    /** The n weights, matching {@link #nodes}. */
    public static double[] weights(int n) {
        return rule(n)[1];
    }

    private static double[][] rule(int n) {
        double[] nodes = new double[n], weights = new double[n];
        for (int i = 0; i < n; i++) {
            double x = Math.cos(Math.PI * (i + 0.75) / (n + 0.5)), dp = 0;
            for (int it = 0; it < 100; it++) {
                double p0 = 1, p1 = x;
                for (int k = 2; k <= n; k++) {
                    double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
                    p0 = p1;
                    p1 = p2;
                }
                dp = n * (x * p1 - p0) / (x * x - 1);
                double dx = p1 / dp;
                x -= dx;
                if (Math.abs(dx) < 1e-15) {
                    break;
                }
            }
            nodes[i] = x;
            weights[i] = 2 / ((1 - x * x) * dp * dp);
        }
        return new double[][] {nodes, weights};
    }
}
