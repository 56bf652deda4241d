package dev.stepwise.core.analytic;

import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.ContinuousVeSampling;
import dev.stepwise.core.model.Denoiser;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Data drawn from a mixture of isotropic Gaussians, for which everything a sampler needs is exact. Under
 * x = x0 + sigma n the noisy density is p_sigma(x) = sum_k w_k N(x; m_k, (s_k^2 + sigma^2) I), and the
 * optimal denoiser is the posterior mean
 * D(x, sigma) = sum_k r_k(x) (m_k + s_k^2 / (s_k^2 + sigma^2) (x - m_k)),
 * with responsibilities r_k proportional to w_k N(x; m_k, (s_k^2 + sigma^2) I).
 *
 * <p>Conditioning on class weights c re-weights component k by c[label_k] (components without a label
 * drop out), so a one-hot class gives exactly that class's sub-mixture and classifier-free guidance has
 * an exact answer.
 */
public final class GaussianMixture implements Denoiser {

    /** One component: weight, mean, isotropic standard deviation, optional class label. */
    public record Component(double weight, double[] mean, double std, Integer label) {
        public Component {
            mean = mean.clone();
            if (!(weight > 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException("component weight " + weight + " must be finite and > 0");
            }
            if (!(std >= 0) || Double.isInfinite(std)) {
                throw new IllegalArgumentException("component std " + std + " must be finite and >= 0");
            }
            for (double m : mean) {
                if (!Double.isFinite(m)) {
                    throw new IllegalArgumentException("component mean value " + m + " must be finite");
                }
            }
            if (label != null && label < 0) {
                throw new IllegalArgumentException("component label " + label + " must be >= 0");
            }
        }

        @Override
        public double[] mean() {
            return mean.clone();
        }
    }

    public static final double DEFAULT_SIGMA_MIN = 0.002;
    public static final double DEFAULT_SIGMA_MAX = 80;

    private final int dim;
    private final List<Component> components;
    private final double[] weights;
    private final double[][] means;
    private final double[] vars;
    private final int[] labels;
    private final int labelCount;
    private final ContinuousVeSampling sampling;

    public GaussianMixture(int dim, List<Component> components, double sigmaMin, double sigmaMax) {
        if (dim < 1) {
            throw new IllegalArgumentException("dim " + dim + " must be at least 1");
        }
        if (components.isEmpty()) {
            throw new IllegalArgumentException("a mixture needs at least one component");
        }
        this.dim = dim;
        this.components = List.copyOf(components);
        int n = components.size();
        weights = new double[n];
        means = new double[n][];
        vars = new double[n];
        labels = new int[n];
        double total = 0;
        int maxLabel = -1;
        for (int k = 0; k < n; k++) {
            Component c = components.get(k);
            if (c.mean.length != dim) {
                throw new IllegalArgumentException("component " + k + " has a mean of length " + c.mean.length
                        + " but dim is " + dim);
            }
            total += c.weight;
            means[k] = c.mean.clone();
            vars[k] = c.std * c.std;
            labels[k] = c.label == null ? -1 : c.label;
            maxLabel = Math.max(maxLabel, labels[k]);
        }
        for (int k = 0; k < n; k++) {
            weights[k] = components.get(k).weight / total;
        }
        labelCount = maxLabel + 1;
        sampling = ContinuousVeSampling.exact(sigmaMin, sigmaMax);
    }

    /** A single Gaussian N(mean, std^2 I): the probability-flow ODE then has a closed-form solution. */
    public static GaussianMixture gaussian(double[] mean, double std, double sigmaMin, double sigmaMax) {
        return new GaussianMixture(mean.length, List.of(new Component(1, mean, std, null)), sigmaMin, sigmaMax);
    }

    public int dim() {
        return dim;
    }

    public List<Component> components() {
        return components;
    }

    /** Number of class labels (largest label + 1; 0 when no component has one). */
    public int labelCount() {
        return labelCount;
    }

    public ContinuousVeSampling sampling() {
        return sampling;
    }

    /** This mixture as a model for the samplers. */
    public Model model(String name) {
        return new Model(name, this, sampling, new int[] {dim});
    }

    /** Normalised component weights under a conditioning. */
    public double[] weightsFor(Conditioning cond) {
        if (cond == null || cond.isUnconditional()) {
            return weights.clone();
        }
        if (!(cond instanceof Conditioning.Classes c)) {
            throw new IllegalArgumentException("a Gaussian mixture is conditioned on class labels, not " + cond);
        }
        double[] w = new double[weights.length];
        double total = 0;
        for (int k = 0; k < w.length; k++) {
            w[k] = labels[k] < 0 ? 0 : weights[k] * c.weight(labels[k]);
            total += w[k];
        }
        if (total == 0) {
            throw new IllegalArgumentException(labelCount == 0
                    ? "this mixture has no labelled components, so it cannot be conditioned on " + cond
                    : "no mixture component has a label in " + cond + " (labels present: 0.." + (labelCount - 1) + ")");
        }
        for (int k = 0; k < w.length; k++) {
            w[k] /= total;
        }
        return w;
    }

    @Override
    public void denoise(Tensor x, double sigma, List<Conditioning> cond, Tensor out) {
        int b = x.batch();
        if (x.rowSize() != dim) {
            throw new IllegalArgumentException("rows of length " + x.rowSize() + " for a mixture of dim " + dim);
        }
        float[] xs = x.data(), os = out.data();
        double[] row = new double[dim], logR = new double[weights.length];
        double[] w = null;
        Conditioning last = null;
        for (int i = 0; i < b; i++) {
            Conditioning c = cond.get(i);
            if (w == null || c != last) {
                w = weightsFor(c);
                last = c;
            }
            for (int j = 0; j < dim; j++) {
                row[j] = xs[i * dim + j];
            }
            responsibilities(row, sigma, w, logR);
            for (int j = 0; j < dim; j++) {
                double acc = 0;
                for (int k = 0; k < weights.length; k++) {
                    if (logR[k] == 0) {
                        continue;
                    }
                    double shrink = vars[k] / (vars[k] + sigma * sigma);
                    acc += logR[k] * (means[k][j] + shrink * (row[j] - means[k][j]));
                }
                os[i * dim + j] = (float) acc;
            }
        }
    }

    /** Posterior component probabilities r_k(x) at sigma, written into r (normalised). */
    private void responsibilities(double[] x, double sigma, double[] w, double[] r) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < w.length; k++) {
            r[k] = w[k] == 0 ? Double.NEGATIVE_INFINITY : Math.log(w[k]) + logNormal(x, k, sigma);
            max = Math.max(max, r[k]);
        }
        double sum = 0;
        for (int k = 0; k < w.length; k++) {
            r[k] = r[k] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(r[k] - max);
            sum += r[k];
        }
        for (int k = 0; k < w.length; k++) {
            r[k] /= sum;
        }
    }

    private double logNormal(double[] x, int k, double sigma) {
        double v = vars[k] + sigma * sigma;
        double d2 = 0;
        for (int j = 0; j < dim; j++) {
            double d = x[j] - means[k][j];
            d2 += d * d;
        }
        return -0.5 * dim * Math.log(2 * Math.PI * v) - d2 / (2 * v);
    }

    /** log p_sigma(x | cond), the exact density of the noised data (sigma = 0: the data itself). */
    public double logDensity(double[] x, double sigma, Conditioning cond) {
        double[] w = weightsFor(cond);
        double max = Double.NEGATIVE_INFINITY;
        double[] l = new double[w.length];
        for (int k = 0; k < w.length; k++) {
            l[k] = w[k] == 0 ? Double.NEGATIVE_INFINITY : Math.log(w[k]) + logNormal(x, k, sigma);
            max = Math.max(max, l[k]);
        }
        double sum = 0;
        for (double v : l) {
            if (v != Double.NEGATIVE_INFINITY) {
                sum += Math.exp(v - max);
            }
        }
        return max + Math.log(sum);
    }

    /** n exact samples of p_sigma(x | cond), rows of length dim, from the given generator. */
    public double[][] sample(int n, double sigma, Conditioning cond, TorchGenerator g) {
        double[] w = weightsFor(cond);
        // The last component that can be drawn, so that rounding in the running sum never picks a
        // component the conditioning excluded.
        int last = w.length - 1;
        while (w[last] == 0) {
            last--;
        }
        double[][] out = new double[n][dim];
        for (int i = 0; i < n; i++) {
            double u = g.nextDouble(), acc = 0;
            int k = 0;
            while (k < last && (acc += w[k]) <= u) {
                k++;
            }
            double sd = Math.sqrt(vars[k] + sigma * sigma);
            for (int j = 0; j < dim; j++) {
                out[i][j] = means[k][j] + sd * g.nextGaussian();
            }
        }
        return out;
    }

    /** The exact mean of the data under cond. */
    public double[] mean(Conditioning cond) {
        double[] w = weightsFor(cond), m = new double[dim];
        for (int k = 0; k < w.length; k++) {
            for (int j = 0; j < dim; j++) {
                m[j] += w[k] * means[k][j];
            }
        }
        return m;
    }

    /** The exact covariance of the data under cond: sum_k w_k (s_k^2 I + m_k m_k^T) - mu mu^T. */
    public double[][] covariance(Conditioning cond) {
        double[] w = weightsFor(cond), mu = mean(cond);
        double[][] c = new double[dim][dim];
        for (int k = 0; k < w.length; k++) {
            for (int a = 0; a < dim; a++) {
                c[a][a] += w[k] * vars[k];
                for (int b = 0; b < dim; b++) {
                    c[a][b] += w[k] * means[k][a] * means[k][b];
                }
            }
        }
        for (int a = 0; a < dim; a++) {
            for (int b = 0; b < dim; b++) {
                c[a][b] -= mu[a] * mu[b];
            }
        }
        return c;
    }

    /** Exact CDF of the 1-D marginal along coordinate j under cond, at the noise level sigma. */
    public double marginalCdf(int j, double value, double sigma, Conditioning cond) {
        double[] w = weightsFor(cond);
        double p = 0;
        for (int k = 0; k < w.length; k++) {
            double sd = Math.sqrt(vars[k] + sigma * sigma);
            p += w[k] * (sd == 0 ? (value >= means[k][j] ? 1 : 0) : Normal.cdf((value - means[k][j]) / sd));
        }
        return p;
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (Component c : components) {
            parts.add("w=" + c.weight + " mean=" + Arrays.toString(c.mean) + " std=" + c.std
                    + (c.label == null ? "" : " label=" + c.label));
        }
        return "GaussianMixture(dim=" + dim + ", " + String.join("; ", parts) + ")";
    }
}
