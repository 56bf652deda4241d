package dev.stepwise.onnx.metrics;

import java.util.SplittableRandom;
import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.RealMatrix;
import org.hipparchus.linear.SingularValueDecomposition;

/**
 * The classifier-feature Fréchet distance (FD) between two Gaussians fitted to classifier features:
 * the squared 2-Wasserstein distance (Dowson and Landau 1982; the formula of Heusel et al. 2017)
 * <pre>  FD = ||mu1 - mu2||^2 + Tr S1 + Tr S2 - 2 Tr (S1^{1/2} S2 S1^{1/2})^{1/2}.</pre>
 * It is not FID: the features come from this project's small Fashion-MNIST classifier, not Inception-v3,
 * so its values are comparable only with other values from the same classifier.
 * <p>
 * Computation: S1 = V diag(l) V^T, taken from Hipparchus's singular value decomposition (for a symmetric PSD
 * matrix the SVD is its eigendecomposition, singular values = eigenvalues; unlike Hipparchus's symmetric QL
 * eigensolver, which gives up with "convergence failed" on covariances with many zero eigenvalues, the SVD
 * iteration has no failure path). Eigenvalues within round-off of zero (below F eps max(l), the usual numerical-rank rule) and
 * negative ones count as zero; the r others give the factor A = V_r diag(sqrt(l_r)), S1 = A A^T. The
 * eigenvalues of S1^{1/2} S2 S1^{1/2} are those of the r x r matrix K = A^T S2 A and zeros, so
 * Tr (S1^{1/2} S2 S1^{1/2})^{1/2} is the sum of the square roots of K's eigenvalues (again with round-off
 * negatives and near-zeros counted as zero). This holds for rank-deficient covariances (fewer images than
 * features, or features that never vary), where the QL eigensolver gave up, and is cheaper there:
 * r is at most the image count minus one.
 * <p>
 * {@link #between} is the bare formula, for any number of samples. A report asks a {@link Reference} for a
 * {@link Figure}, which is "not available", with the reason, where the figure would not mean anything: no
 * images, non-finite features, or fewer images than {@link Reference#imagesNeeded()}, one more than the number
 * of directions r2 the real images' features vary in (the numerical rank of their covariance). The
 * covariance of n images spans at most n - 1 directions, and the FD of a Gaussian confined to an
 * (n - 1)-dimensional subspace is at least the real variance outside that subspace, so at least the sum of
 * the r2 - n + 1 smallest non-zero real eigenvalues whatever the images look like: below that count FD
 * measures the image count rather than the sampler. Above it FD is still biased upward by a small count.
 */
public final class FrechetDistance {
    private FrechetDistance() {
    }

    /**
     * An FD figure for a report: the distance, or NaN and the reason it is not available.
     *
     * @param value       FD, or NaN when not available
     * @param unavailable why there is no figure ("only 4 images: ..."), or null when there is one
     */
    public record Figure(double value, String unavailable) {
        static Figure of(double value) {
            return new Figure(value, null);
        }

        static Figure notAvailable(String reason) {
            return new Figure(Double.NaN, reason);
        }

        public boolean available() {
            return unavailable == null;
        }
    }

    /** FD between two feature statistics of equal dimension. */
    public static double between(FeatureStats a, FeatureStats b) {
        return between(a.mean(), a.cov(), b.mean(), b.cov());
    }

    /**
     * FD between two Gaussians given by means and symmetric positive semi-definite covariances; NaN when an
     * entry is not finite. Rank-deficient covariances (fewer samples than features) are fine; see
     * {@link Reference} for when a figure from few samples means something.
     *
     * @throws IllegalArgumentException when the dimensions differ
     */
    public static double between(double[] mu1, double[][] s1, double[] mu2, double[][] s2) {
        checkDimensions(mu1, s1, mu2, s2);
        if (!finite(mu1) || !finite(mu2) || !finite(s1) || !finite(s2)) {
            return Double.NaN;
        }
        return distance(mu1, Root.of(s1, scaleOf(s1, s2)), mu2, s2);
    }

    /**
     * Tr (S1 S2)^{1/2} for symmetric positive semi-definite S1, S2, via Tr (S1^{1/2} S2 S1^{1/2})^{1/2}
     * (the same eigenvalues); NaN when an entry is not finite.
     */
    public static double traceSqrtProduct(double[][] s1, double[][] s2) {
        if (s1.length != s2.length) {
            throw new IllegalArgumentException("covariances are " + s1.length + " and " + s2.length + " square");
        }
        if (!finite(s1) || !finite(s2)) {
            return Double.NaN;
        }
        Root root = Root.of(s1, scaleOf(s1, s2));
        return Math.scalb(root.traceSqrtProduct(s2), -root.shift);
    }

    /** The real-image statistics prepared for FD figures (one eigendecomposition, however many figures). */
    public static Reference reference(FeatureStats real) {
        return new Reference(real);
    }

    /** Real-image feature statistics, decomposed once, that gives each set of images its {@link Figure}. */
    public static final class Reference {
        private final double[] mean;
        private final Root root;
        /** Why no figure can be made against these statistics, or null. */
        private final String unusable;

        private Reference(FeatureStats real) {
            mean = real.mean();
            double[][] cov = real.cov();
            if (finite(mean) && finite(cov)) {
                root = Root.of(cov, scaleOf(cov, cov));
                unusable = null;
            } else {
                root = null;
                unusable = "the real-image feature statistics are not finite";
            }
        }

        /** The feature dimension. */
        public int dimension() {
            return mean.length;
        }

        /** The number of directions the real images' features vary in: the numerical rank of their covariance. */
        public int rank() {
            return root == null ? 0 : root.rank;
        }

        /** The fewest images a figure is made for: one more than {@link #rank()}, and at least 2. */
        public int imagesNeeded() {
            return Math.max(2, rank() + 1);
        }

        /** The FD of the images with these classifier features ([images][F]) to the real ones, or why there is none. */
        public Figure figure(double[][] features) {
            if (unusable != null) {
                return Figure.notAvailable(unusable);
            }
            int n = features.length;
            if (n == 0) {
                return Figure.notAvailable("no image has classifier features");
            }
            int nonFinite = 0;
            for (double[] row : features) {
                if (row.length != mean.length) {
                    return Figure.notAvailable("the images have " + row.length + " classifier features, the real-image "
                            + "statistics " + mean.length);
                }
                if (!finite(row)) {
                    nonFinite++;
                }
            }
            if (nonFinite > 0) {
                return Figure.notAvailable(nonFinite + " of " + n + " images have non-finite classifier features");
            }
            int needed = imagesNeeded();
            if (n < needed) {
                String only = "only " + n + (n == 1 ? " image" : " images") + ": FD needs at least " + needed;
                return Figure.notAvailable(rank() + 1 < needed ? only + " for a covariance"
                        : only + " here, one more than the " + rank() + " directions the real images' features vary in"
                        + " (with fewer, FD measures the image count, not the images)");
            }
            FeatureStats sample = FeatureStats.of(features);
            double fd = distance(mean, root, sample.mean(), sample.cov());
            return Double.isFinite(fd) ? Figure.of(fd)
                    : Figure.notAvailable("the classifier features are too large for a finite distance");
        }
    }

    /**
     * The bootstrap standard error of {@link Reference#figure}: the standard deviation of the FD over
     * {@code resamples} sets of as many images drawn with replacement from {@code features} (seeded, so a report is
     * reproducible). NaN when the figure itself is not available. Resampling repeats images and so biases each
     * resampled FD upwards; its spread, not its level, is what is used: FD +- 1.96 se is the report's interval.
     */
    public static double bootstrapError(Reference reference, double[][] features, int resamples, long seed) {
        if (!reference.figure(features).available() || resamples < 2) {
            return Double.NaN;
        }
        SplittableRandom random = new SplittableRandom(seed);
        int n = features.length;
        double sum = 0, sumSq = 0;
        int made = 0;
        double[][] draw = new double[n][];
        for (int b = 0; b < resamples; b++) {
            for (int i = 0; i < n; i++) {
                draw[i] = features[random.nextInt(n)];
            }
            Figure f = reference.figure(draw);
            if (f.available()) {
                sum += f.value();
                sumSq += f.value() * f.value();
                made++;
            }
        }
        if (made < 2) {
            return Double.NaN;
        }
        double mean = sum / made;
        return Math.sqrt(Math.max(0, (sumSq - made * mean * mean) / (made - 1)));
    }

    /** FD with S1 given by its root; S2 is scaled by the root's power of two like S1 was. */
    private static double distance(double[] mu1, Root r1, double[] mu2, double[][] s2) {
        double dmu = 0;
        for (int i = 0; i < mu1.length; i++) {
            double d = mu1[i] - mu2[i];
            dmu += d * d;
        }
        double trace2 = 0;
        for (int i = 0; i < s2.length; i++) {
            trace2 += Math.scalb(s2[i][i], r1.shift);
        }
        // Both terms are >= 0 exactly; only round-off takes the second below zero for (near-)equal covariances.
        return dmu + Math.scalb(Math.max(0, r1.trace + trace2 - 2 * r1.traceSqrtProduct(s2)), -r1.shift);
    }

    /**
     * S^{1/2} as the factor A = V_r diag(sqrt(l_r)) over the eigenvalues above round-off, of S scaled by
     * 2^shift (exact) so that products of entries stay in range whatever the feature units.
     *
     * @param factor [F][rank]
     * @param trace  Tr of the scaled S
     */
    private record Root(double[][] factor, int rank, double trace, int shift) {
        static Root of(double[][] s, int shift) {
            int f = s.length;
            double[][] scaled = scaled(s, shift);
            SingularValueDecomposition e = new SingularValueDecomposition(new Array2DRowRealMatrix(scaled, false));
            double[] values = e.getSingularValues();
            RealMatrix vectors = e.getU();
            double trace = 0;
            for (int i = 0; i < f; i++) {
                trace += scaled[i][i];
            }
            // A round-off negative eigenvalue shows as a tiny positive singular value: below the tolerance, dropped.
            int rank = aboveRoundOff(values);
            double[][] a = new double[f][rank];
            for (int j = 0; j < rank; j++) {
                double r = Math.sqrt(values[j]);
                for (int i = 0; i < f; i++) {
                    a[i][j] = vectors.getEntry(i, j) * r;
                }
            }
            return new Root(a, rank, trace, shift);
        }

        /** Tr (S1^{1/2} S2 S1^{1/2})^{1/2} of the scaled matrices: the sum of the square roots of the eigenvalues of K. */
        double traceSqrtProduct(double[][] s2) {
            int f = factor.length;
            if (s2.length != f) {
                throw new IllegalArgumentException("covariances are " + f + " and " + s2.length + " square");
            }
            double[][] b = new double[f][rank]; // S2 A
            for (int i = 0; i < f; i++) {
                for (int k = 0; k < f; k++) {
                    double x = Math.scalb(s2[i][k], shift);
                    if (x != 0) {
                        for (int j = 0; j < rank; j++) {
                            b[i][j] += x * factor[k][j];
                        }
                    }
                }
            }
            double[][] kk = new double[rank][rank];
            for (int k = 0; k < f; k++) {
                for (int i = 0; i < rank; i++) {
                    double x = factor[k][i];
                    for (int j = 0; j < rank; j++) {
                        kk[i][j] += x * b[k][j];
                    }
                }
            }
            // K is symmetric PSD; its singular values are its eigenvalues, in decreasing order.
            double[] l = rank == 0 ? new double[0]
                    : new SingularValueDecomposition(new Array2DRowRealMatrix(kk, false)).getSingularValues();
            double sum = 0;
            for (int i = 0, r = aboveRoundOff(l); i < r; i++) {
                sum += Math.sqrt(l[i]);
            }
            return sum;
        }
    }

    /**
     * How many of the decreasing eigenvalues of a PSD matrix are above round-off: greater than n eps times
     * the largest (numpy's matrix_rank rule). Round-off scatters the zero eigenvalues of a singular
     * covariance around 0 by about that much; their square roots would add noise of order sqrt(eps).
     */
    private static int aboveRoundOff(double[] decreasing) {
        int n = decreasing.length;
        if (n == 0 || !(decreasing[0] > 0)) {
            return 0;
        }
        double tol = n * Math.ulp(1.0) * decreasing[0];
        int r = 0;
        while (r < n && decreasing[r] > tol) {
            r++;
        }
        return r;
    }

    /** The power of two that brings the largest covariance entry near 1 (exact scaling; 0 for zero matrices). */
    private static int scaleOf(double[][] s1, double[][] s2) {
        double max = 0;
        for (double[][] s : new double[][][] {s1, s2}) {
            for (double[] row : s) {
                for (double x : row) {
                    max = Math.max(max, Math.abs(x));
                }
            }
        }
        return max > 0 ? -Math.getExponent(max) : 0;
    }

    private static double[][] scaled(double[][] s, int shift) {
        double[][] out = new double[s.length][];
        for (int i = 0; i < s.length; i++) {
            out[i] = new double[s[i].length];
            for (int j = 0; j < s[i].length; j++) {
                out[i][j] = Math.scalb(s[i][j], shift);
            }
        }
        return out;
    }

    private static void checkDimensions(double[] mu1, double[][] s1, double[] mu2, double[][] s2) {
        int f = mu1.length;
        if (mu2.length != f || s1.length != f || s2.length != f) {
            throw new IllegalArgumentException("feature dimensions differ: " + f + " and " + mu2.length);
        }
        for (double[][] s : new double[][][] {s1, s2}) {
            for (double[] row : s) {
                if (row.length != f) {
                    throw new IllegalArgumentException("covariance row has " + row.length + " entries, not " + f);
                }
            }
        }
    }

    private static boolean finite(double[] v) {
        for (double x : v) {
            if (!Double.isFinite(x)) {
                return false;
            }
        }
        return true;
    }

    private static boolean finite(double[][] m) {
        for (double[] row : m) {
            if (!finite(row)) {
                return false;
            }
        }
        return true;
    }
}
