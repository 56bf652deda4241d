package dev.stepwise.core.testing;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Conditioning;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Goodness-of-fit checks of samples against a {@link GaussianMixture}, with tolerances derived from the
 * exact distribution and the sample size n:
 * <ul>
 *   <li>each mean coordinate within {@code z} standard errors sqrt(C_jj / n);</li>
 *   <li>each covariance entry within {@code z} standard errors sqrt(Var[(X_a - mu_a)(X_b - mu_b)] / n), the
 *       fourth moments computed exactly from the mixture (for a component with offset d = m - mu and std s,
 *       E[Y_a^2 Y_b^2] = (d_a^2 + s^2)(d_b^2 + s^2) for a != b and d^4 + 6 d^2 s^2 + 3 s^4 for a = b);
 *       the error of estimating mu is O(1/n) and ignored;</li>
 *   <li>a one-sample Kolmogorov-Smirnov test of each 1-D marginal against the exact marginal CDF, critical
 *       value sqrt(-ln(alpha / 2) / 2) / sqrt(n) (the asymptotic Kolmogorov distribution), plus an optional
 *       absolute allowance for the sampler's discretisation error.</li>
 * </ul>
 */
public final class DistributionChecks {
    /**
     * A 2-D mixture of three Gaussians with different weights, means and widths (one narrow, one wide),
     * data range 0.002..80: mean (-0.35, 0.30), covariance [[2.992, -0.12], [-0.12, 1.7495]].
     */
    public static final GaussianMixture THREE_GAUSSIANS_2D = new GaussianMixture(2, List.of(
            new GaussianMixture.Component(0.5, new double[] {-2, 0.5}, 0.4, null),
            new GaussianMixture.Component(0.3, new double[] {1.5, 1.5}, 0.7, null),
            new GaussianMixture.Component(0.2, new double[] {1, -2}, 0.25, null)), 0.002, 80);

    private DistributionChecks() {
    }

    /** The outcome: every statistic with its limit, and the failures. */
    public record Result(List<String> lines, List<String> failures) {
        public boolean passed() {
            return failures.isEmpty();
        }

        @Override
        public String toString() {
            return String.join("\n", lines);
        }
    }

    /** Kolmogorov-Smirnov critical value for n samples at level alpha (asymptotic). */
    public static double ksCritical(int n, double alpha) {
        return Math.sqrt(-Math.log(alpha / 2) / 2) / Math.sqrt(n);
    }

    /** sup |F_n - F| of the values against the mixture's marginal CDF along coordinate j (at sigma 0). */
    public static double ksStatistic(GaussianMixture gm, int j, double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        double d = 0;
        for (int i = 0; i < n; i++) {
            double f = gm.marginalCdf(j, v[i], 0, Conditioning.NONE);
            d = Math.max(d, Math.max((i + 1.0) / n - f, f - (double) i / n));
        }
        return d;
    }

    /**
     * Checks rows of {@code samples} (n rows of gm.dim() values, row-major) against the unconditional mixture.
     *
     * @param z            standard errors allowed for means and covariances
     * @param ksAlpha      level of each KS test
     * @param ksAllowance  absolute allowance added to the KS critical value (0 for none)
     */
    public static Result check(GaussianMixture gm, float[] samples, double z, double ksAlpha, double ksAllowance) {
        int dim = gm.dim();
        int n = samples.length / dim;
        double[] mu = gm.mean(Conditioning.NONE);
        double[][] cov = gm.covariance(Conditioning.NONE);
        double[][] fourth = crossFourthMoments(gm, mu);
        List<String> lines = new ArrayList<>(), failures = new ArrayList<>();

        double[] mean = new double[dim];
        for (int i = 0; i < n; i++) {
            for (int a = 0; a < dim; a++) {
                mean[a] += samples[i * dim + a];
            }
        }
        for (int a = 0; a < dim; a++) {
            mean[a] /= n;
            double se = Math.sqrt(cov[a][a] / n);
            record(lines, failures, String.format(Locale.ROOT, "mean[%d] = %.4f, exact %.4f", a, mean[a], mu[a]),
                    Math.abs(mean[a] - mu[a]), z * se);
        }
        for (int a = 0; a < dim; a++) {
            for (int b = a; b < dim; b++) {
                double c = 0;
                for (int i = 0; i < n; i++) {
                    c += (samples[i * dim + a] - mean[a]) * (samples[i * dim + b] - mean[b]);
                }
                c /= n - 1;
                double se = Math.sqrt((fourth[a][b] - cov[a][b] * cov[a][b]) / n);
                record(lines, failures, String.format(Locale.ROOT, "cov[%d][%d] = %.4f, exact %.4f", a, b, c, cov[a][b]),
                        Math.abs(c - cov[a][b]), z * se);
            }
        }
        double critical = ksCritical(n, ksAlpha) + ksAllowance;
        for (int j = 0; j < dim; j++) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = samples[i * dim + j];
            }
            record(lines, failures, String.format(Locale.ROOT, "KS marginal %d", j), ksStatistic(gm, j, v), critical);
        }
        return new Result(lines, failures);
    }

    private static void record(List<String> lines, List<String> failures, String what, double stat, double limit) {
        String line = String.format(Locale.ROOT, "%s: |deviation| %.5f, limit %.5f%s", what, stat, limit,
                stat <= limit ? "" : "  FAIL");
        lines.add(line);
        if (!(stat <= limit)) {
            failures.add(line);
        }
    }

    /** E[(X_a - mu_a)^2 (X_b - mu_b)^2] for the unconditional mixture (isotropic components). */
    static double[][] crossFourthMoments(GaussianMixture gm, double[] mu) {
        int dim = gm.dim();
        double[] w = gm.weightsFor(Conditioning.NONE);
        double[][] m = new double[dim][dim];
        List<GaussianMixture.Component> cs = gm.components();
        for (int k = 0; k < cs.size(); k++) {
            double[] mean = cs.get(k).mean();
            double s2 = cs.get(k).std() * cs.get(k).std();
            for (int a = 0; a < dim; a++) {
                double da = mean[a] - mu[a];
                for (int b = 0; b < dim; b++) {
                    double db = mean[b] - mu[b];
                    double e = a == b ? da * da * da * da + 6 * da * da * s2 + 3 * s2 * s2
                            : (da * da + s2) * (db * db + s2);
                    m[a][b] += w[k] * e;
                }
            }
        }
        return m;
    }
}
