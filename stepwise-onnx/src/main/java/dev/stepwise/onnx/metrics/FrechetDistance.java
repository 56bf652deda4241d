package dev.stepwise.onnx.metrics;

import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.EigenDecompositionSymmetric;
import org.hipparchus.linear.RealMatrix;

/**
 * The classifier-feature Fréchet distance (FD) between two Gaussians fitted to classifier features:
 * the squared 2-Wasserstein distance (Dowson and Landau 1982; the formula of Heusel et al. 2017)
 * <pre>  FD = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2}).</pre>
 * It is not FID: the features come from this project's small Fashion-MNIST classifier, not Inception-v3,
 * so its values are comparable only with other values from the same classifier.
 * <p>
 * Tr (S1 S2)^{1/2} is computed in the symmetric form Tr (S1^{1/2} S2 S1^{1/2})^{1/2}, which has the same
 * eigenvalues, with two symmetric eigendecompositions: S1^{1/2} = V diag(sqrt(l)) V^T, then the square
 * roots of the eigenvalues of the symmetric PSD matrix S1^{1/2} S2 S1^{1/2}. Eigenvalues that round-off
 * pushes slightly below zero are clamped to zero.
 */
public final class FrechetDistance {
    private FrechetDistance() {
    }

    /** FD between two feature statistics of equal dimension. */
    public static double between(FeatureStats a, FeatureStats b) {
        return between(a.mean(), a.cov(), b.mean(), b.cov());
    }

    public static double between(double[] mu1, double[][] s1, double[] mu2, double[][] s2) {
        int f = mu1.length;
        if (mu2.length != f || s1.length != f || s2.length != f) {
            throw new IllegalArgumentException("feature dimensions differ: " + f + " and " + mu2.length);
        }
        double dmu = 0;
        for (int i = 0; i < f; i++) {
            double d = mu1[i] - mu2[i];
            dmu += d * d;
        }
        double trace = 0;
        for (int i = 0; i < f; i++) {
            trace += s1[i][i] + s2[i][i];
        }
        // FD >= 0 exactly; only round-off takes the difference below zero for (near-)identical statistics.
        return Math.max(0, dmu + trace - 2 * traceSqrtProduct(s1, s2));
    }

    /** Tr (S1 S2)^{1/2} for symmetric positive semi-definite S1, S2, via Tr (S1^{1/2} S2 S1^{1/2})^{1/2}. */
    public static double traceSqrtProduct(double[][] s1, double[][] s2) {
        RealMatrix root = sqrtm(symmetric(s1));
        RealMatrix m = root.multiply(symmetric(s2)).multiply(root);
        double sum = 0;
        for (double l : new EigenDecompositionSymmetric(symmetrize(m)).getEigenvalues()) {
            sum += Math.sqrt(Math.max(l, 0));
        }
        return sum;
    }

    /** The symmetric PSD square root V diag(sqrt(max(l, 0))) V^T. */
    static RealMatrix sqrtm(RealMatrix s) {
        EigenDecompositionSymmetric e = new EigenDecompositionSymmetric(s);
        RealMatrix v = e.getV();
        double[] l = e.getEigenvalues();
        int n = l.length;
        RealMatrix scaled = v.copy();
        for (int j = 0; j < n; j++) {
            double r = Math.sqrt(Math.max(l[j], 0));
            for (int i = 0; i < n; i++) {
                scaled.setEntry(i, j, v.getEntry(i, j) * r);
            }
        }
        return symmetrize(scaled.multiplyTransposed(v));
    }

    private static RealMatrix symmetric(double[][] s) {
        return symmetrize(new Array2DRowRealMatrix(s, true));
    }

    /** (M + M^T) / 2: removes the round-off asymmetry the eigensolver would reject. */
    private static RealMatrix symmetrize(RealMatrix m) {
        int n = m.getRowDimension();
        if (m.getColumnDimension() != n) {
            throw new IllegalArgumentException("covariance is " + n + "x" + m.getColumnDimension() + ", not square");
        }
        double[][] d = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                d[i][j] = 0.5 * (m.getEntry(i, j) + m.getEntry(j, i));
            }
        }
        return new Array2DRowRealMatrix(d, false);
    }
}
