package dev.stepwise.core.sampling;

/**
 * The exact Lagrange-integral coefficients of SA-Solver (Xue et al. 2023, "SA-Solver: Stochastic Adams Solver for
 * Fast Sampling of Diffusion Models", arXiv:2309.05019, eqs. 15 and 18; ComfyUI's
 * {@code compute_stochastic_adams_b_coeffs}). With the data prediction D interpolated by the Lagrange polynomial
 * through its values at half-log-SNR nodes lambda_j, the SDE step from lambda_s to lambda_t with noise strength tau
 * integrates D against the weight (1 + tau^2) e^{(1 + tau^2)(lambda - lambda_t)}, so
 * <pre>
 *   b_j = alpha_t int_{lambda_s}^{lambda_t} (1 + tau^2) e^{(1 + tau^2)(lambda - lambda_t)} L_j(lambda) d lambda.
 * </pre>
 * The integrals are evaluated in closed form: with w = (lambda - lambda_t) / h, h = lambda_t - lambda_s, and
 * z = (1 + tau^2) h, the moments are int (1 + tau^2) e^{...} w^p = (-1)^p p! P(p + 1, z) / z^p with P the regularised
 * lower incomplete gamma function, summed as the positive series e^{-z} sum_{m > p} z^m / m! (no cancellation
 * for small steps); L_j is expanded in powers of w, which keeps the system well scaled. ComfyUI solves the
 * Vandermonde system in lambda instead; the two agree to rounding.
 */
public final class StochasticAdams {
    private StochasticAdams() {
    }

    /**
     * The coefficients b_j for nodes {@code lambdas} (any order) over the step lambdaS -> lambdaT, already multiplied
     * by alphaT.
     */
    public static double[] coefficients(double[] lambdas, double lambdaS, double lambdaT, double tau, double alphaT) {
        int n = lambdas.length;
        double h = lambdaT - lambdaS, k = 1 + tau * tau, z = k * h;
        double[] moments = new double[n];
        double ez = Math.exp(-z);
        for (int p = 0; p < n; p++) {
            // p! sum_{m > p} z^{m - p} / m!, first term z / (p + 1).
            double term = z / (p + 1), sum = 0;
            for (int m = p + 1; m < p + 2000 && term > 1e-18 * sum; m++) {
                sum += term;
                term *= z / (m + 1);
            }
            moments[p] = (p % 2 == 0 ? 1 : -1) * ez * sum;
        }
        double[] w = new double[n];
        for (int j = 0; j < n; j++) {
            w[j] = (lambdas[j] - lambdaT) / h;
        }
        double[] b = new double[n];
        double[] poly = new double[n];
        for (int j = 0; j < n; j++) {
            java.util.Arrays.fill(poly, 0);
            poly[0] = 1;
            int degree = 0;
            for (int m = 0; m < n; m++) {
                if (m == j) {
                    continue;
                }
                double scale = 1 / (w[j] - w[m]);
                // poly *= (w - w_m) * scale
                for (int d = degree + 1; d >= 0; d--) {
                    double shifted = d > 0 ? poly[d - 1] : 0;
                    poly[d] = (shifted - w[m] * poly[d]) * scale;
                }
                degree++;
            }
            double c = 0;
            for (int p = 0; p < n; p++) {
                c += poly[p] * moments[p];
            }
            b[j] = alphaT * c;
        }
        return b;
    }

    /**
     * SA-Solver's simplified order-2 coefficients (the paper's appendix D; ComfyUI's
     * {@code compute_simple_stochastic_adams_b_coeffs}) for two nodes, newest first: {b_newest, b_older}. With
     * k = 1 + tau^2 and h = lambdaT - lambdaS, the corrector puts alpha_t k h / 2 on the newest estimate (at lambdaT),
     * the predictor alpha_t k h^2 / (2 (olderLambda - lambdaS)) on the older one (at olderLambda); the other weight
     * completes alpha_t (1 - e^{-k h}), the order-1 total.
     */
    public static double[] simpleOrder2(double olderLambda, double lambdaS, double lambdaT, double tau, double alphaT,
                                        boolean corrector) {
        double k = 1 + tau * tau, h = lambdaT - lambdaS, total = -alphaT * Math.expm1(-k * h);
        if (corrector) {
            double newest = alphaT * 0.5 * k * h;
            return new double[] {newest, total - newest};
        }
        double older = alphaT * 0.5 * k * h * h / (olderLambda - lambdaS);
        return new double[] {total - older, older};
    }
}
