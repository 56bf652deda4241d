package dev.stepwise.core.measure;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.analytic.Normal;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.noise.TorchGenerator;
import java.util.Arrays;
import java.util.List;

/**
 * Sliced Wasserstein-1 distance between samples and an exact 2-D Gaussian mixture: the mean over {@code L} evenly
 * spaced directions theta_l = (cos(pi l / L), sin(pi l / L)) of the 1-D Wasserstein-1 distance between the projected
 * samples and the projected mixture. A projection of an isotropic mixture is again a mixture, of N(theta . m_k, s_k^2)
 * with the same weights, whose CDF F is exact, so each 1-D distance W1 = integral |F_n(t) - F(t)| dt (F_n the
 * samples' empirical CDF) is computed exactly, with the closed-form antiderivative of the normal CDF
 * (integral of Phi((t - m) / s) dt = (t - m) Phi(z) + s phi(z)): no reference sample adds its own noise. What
 * remains is the samples' own: exact samples of size n score about sqrt(2 / (pi n)) integral sqrt(F (1 - F)) dt
 * per direction, which {@link #floor} measures.
 */
public final class SlicedWasserstein {
    private final double[] weights;
    private final double[][] means;
    private final double[] stds;
    private final int directions;

    /** For a 2-D mixture whose components all have std > 0, over {@code directions} projections. */
    public SlicedWasserstein(GaussianMixture mixture, int directions) {
        if (mixture.dim() != 2) {
            throw new IllegalArgumentException("sliced W1 here is for 2-D mixtures, not dim " + mixture.dim());
        }
        if (directions < 1) {
            throw new IllegalArgumentException("directions " + directions + " must be at least 1");
        }
        List<GaussianMixture.Component> cs = mixture.components();
        weights = new double[cs.size()];
        means = new double[cs.size()][];
        stds = new double[cs.size()];
        double total = 0;
        for (int k = 0; k < cs.size(); k++) {
            GaussianMixture.Component c = cs.get(k);
            if (!(c.std() > 0)) {
                throw new IllegalArgumentException("component " + k + " has std " + c.std() + "; sliced W1 needs std > 0");
            }
            weights[k] = c.weight();
            means[k] = c.mean();
            stds[k] = c.std();
            total += c.weight();
        }
        for (int k = 0; k < weights.length; k++) {
            weights[k] /= total;
        }
        this.directions = directions;
    }

    /** The distance of rows {@code x} (n x 2, row-major) to the mixture; NaN if any value is not finite. */
    public double distance(float[] x) {
        int n = x.length / 2;
        for (float v : x) {
            if (!Float.isFinite(v)) {
                return Double.NaN;
            }
        }
        double[] y = new double[n];
        double[] m = new double[weights.length];
        double sum = 0;
        for (int l = 0; l < directions; l++) {
            double angle = Math.PI * l / directions, c = Math.cos(angle), s = Math.sin(angle);
            for (int i = 0; i < n; i++) {
                y[i] = c * x[2 * i] + s * x[2 * i + 1];
            }
            for (int k = 0; k < m.length; k++) {
                m[k] = c * means[k][0] + s * means[k][1];
            }
            Arrays.sort(y);
            sum += w1(y, m);
        }
        return sum / directions;
    }

    /**
     * The noise floor at sample size n: mean and standard deviation of the distance over {@code repeats} sets of n
     * exact samples of the mixture (drawn by {@link GaussianMixture#sample}, seeds 1..repeats).
     */
    public double[] floor(GaussianMixture mixture, int n, int repeats) {
        double[] d = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            double[][] rows = mixture.sample(n, 0, Conditioning.NONE, new TorchGenerator(r + 1));
            float[] x = new float[2 * n];
            for (int i = 0; i < n; i++) {
                x[2 * i] = (float) rows[i][0];
                x[2 * i + 1] = (float) rows[i][1];
            }
            d[r] = distance(x);
        }
        double mean = Arrays.stream(d).average().orElse(Double.NaN);
        double var = Arrays.stream(d).map(v -> (v - mean) * (v - mean)).sum() / Math.max(1, repeats - 1);
        return new double[] {mean, Math.sqrt(var)};
    }

    /** integral |F_n - F| for sorted y against the projected mixture with means m. */
    private double w1(double[] y, double[] m) {
        int n = y.length;
        double[] fg = new double[2];
        evaluate(y[0], m, fg);
        double total = fg[1];                                      // integral of F over (-inf, y_1]
        double fa = fg[0], ga = fg[1];
        for (int i = 1; i < n; i++) {
            double a = y[i - 1], b = y[i];
            evaluate(b, m, fg);
            double fb = fg[0], gb = fg[1];
            if (b > a) {
                double level = (double) i / n;                    // F_n on [y_i, y_{i+1})
                if (fb <= level) {
                    total += level * (b - a) - (gb - ga);
                } else if (fa >= level) {
                    total += (gb - ga) - level * (b - a);
                } else {
                    double t = crossing(a, b, level, m, fg), gt = fg[1];
                    total += level * (t - a) - (gt - ga) + (gb - gt) - level * (b - t);
                }
            }
            fa = fb;
            ga = gb;
        }
        return total + upperTail(y[n - 1], m);                     // integral of 1 - F over [y_n, inf)
    }

    /**
     * F(t) into fg[0] and G(t) = integral of F over (-inf, t] = sum_k w_k ((t - m_k) Phi(z_k) + s_k phi(z_k)) into
     * fg[1]. Beyond 9 standard deviations a component counts as 0 or 1 (Phi and phi there are below 1e-18).
     */
    private void evaluate(double t, double[] m, double[] fg) {
        double f = 0, g = 0;
        for (int k = 0; k < m.length; k++) {
            double d = t - m[k], z = d / stds[k];
            if (z > 9) {
                f += weights[k];
                g += weights[k] * d;
            } else if (z >= -9) {
                double p = Normal.cdf(z);
                f += weights[k] * p;
                g += weights[k] * (d * p + stds[k] * pdf(z));
            }
        }
        fg[0] = f;
        fg[1] = g;
    }

    /** integral of 1 - F over [t, inf): sum_k w_k (s_k phi(z_k) - (t - m_k)(1 - Phi(z_k))). */
    private double upperTail(double t, double[] m) {
        double v = 0;
        for (int k = 0; k < m.length; k++) {
            double z = (t - m[k]) / stds[k];
            v += weights[k] * (stds[k] * pdf(z) - (t - m[k]) * Normal.cdf(-z));
        }
        return v;
    }

    /** The t in (a, b) where F(t) = level, by bisection (F is increasing); leaves F(t), G(t) in fg. */
    private double crossing(double a, double b, double level, double[] m, double[] fg) {
        for (int it = 0; it < 60 && b - a > 1e-12 * Math.max(1, Math.abs(a)); it++) {
            double mid = 0.5 * (a + b);
            evaluate(mid, m, fg);
            if (fg[0] < level) {
                a = mid;
            } else {
                b = mid;
            }
        }
        double t = 0.5 * (a + b);
        evaluate(t, m, fg);
        return t;
    }

    private static double pdf(double z) {
        return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    }
}
