package dev.stepwise.onnx.metrics;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The Gaussian summary of a set of feature vectors: mean and covariance (normalised by N - 1, as
 * {@code numpy.cov}), the input of the classifier-feature Fréchet distance.
 */
public record FeatureStats(double[] mean, double[][] cov) {
    /** File names of the reference statistics next to a classifier. */
    public static final String MEAN_FILE = "test_features_mean.npy";
    public static final String COV_FILE = "test_features_cov.npy";

    public FeatureStats {
        int f = mean.length;
        if (f == 0 || cov.length != f) {
            throw new IllegalArgumentException("covariance is " + cov.length + "x? for a mean of " + f + " features");
        }
        mean = mean.clone();
        double[][] c = new double[f][];
        for (int i = 0; i < f; i++) {
            if (cov[i].length != f) {
                throw new IllegalArgumentException("covariance row " + i + " has " + cov[i].length + " entries, not " + f);
            }
            c[i] = cov[i].clone();
        }
        cov = c;
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[][] cov() {
        double[][] c = new double[cov.length][];
        for (int i = 0; i < c.length; i++) {
            c[i] = cov[i].clone();
        }
        return c;
    }

    public int dimension() {
        return mean.length;
    }

    /** Mean and unbiased covariance of N >= 2 feature rows. */
    public static FeatureStats of(double[][] features) {
        int n = features.length;
        if (n < 2) {
            throw new IllegalArgumentException("feature statistics need at least 2 rows, got " + n);
        }
        int f = features[0].length;
        double[] mu = new double[f];
        for (double[] row : features) {
            if (row.length != f) {
                throw new IllegalArgumentException("feature rows differ in length: " + row.length + " and " + f);
            }
            for (int i = 0; i < f; i++) {
                mu[i] += row[i];
            }
        }
        for (int i = 0; i < f; i++) {
            mu[i] /= n;
        }
        double[][] c = new double[f][f];
        double[] d = new double[f];
        for (double[] row : features) {
            for (int i = 0; i < f; i++) {
                d[i] = row[i] - mu[i];
            }
            for (int i = 0; i < f; i++) {
                for (int j = i; j < f; j++) {
                    c[i][j] += d[i] * d[j];
                }
            }
        }
        for (int i = 0; i < f; i++) {
            for (int j = i; j < f; j++) {
                c[i][j] /= n - 1;
                c[j][i] = c[i][j];
            }
        }
        return new FeatureStats(mu, c);
    }

    /** Reads {@code dir/test_features_mean.npy} ([F]) and {@code dir/test_features_cov.npy} ([F, F]). */
    public static FeatureStats load(Path dir) throws IOException {
        return load(dir.resolve(MEAN_FILE), dir.resolve(COV_FILE));
    }

    public static FeatureStats load(Path meanFile, Path covFile) throws IOException {
        NpyDoubles.Array m = NpyDoubles.read(meanFile), c = NpyDoubles.read(covFile);
        int f = m.data().length;
        if (m.shape().length != 1 || !Arrays.equals(c.shape(), new int[] {f, f})) {
            throw new IOException("feature statistics " + meanFile + " " + Arrays.toString(m.shape()) + " and "
                    + covFile + " " + Arrays.toString(c.shape()) + " are not [F] and [F, F]");
        }
        double[][] cov = new double[f][f];
        for (int i = 0; i < f; i++) {
            System.arraycopy(c.data(), i * f, cov[i], 0, f);
        }
        return new FeatureStats(m.data(), cov);
    }
}
