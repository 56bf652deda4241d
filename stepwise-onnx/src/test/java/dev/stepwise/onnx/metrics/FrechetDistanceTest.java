package dev.stepwise.onnx.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.EigenDecompositionSymmetric;
import org.hipparchus.linear.RealMatrix;
import org.junit.jupiter.api.Test;

/**
 * FrechetDistance against closed forms: Gaussians with commuting covariances (FD = |dmu|^2 + sum (sqrt a_i -
 * sqrt b_i)^2 in their common eigenbasis), projections at known principal angles (Tr (P Q P)^{1/2} = sum of
 * the cosines), invariance under a common rotation, FD(X, X) = 0 and symmetry for rank-deficient sample
 * covariances, and an independent eigensolver (Hipparchus, where it converges) for full-rank ones.
 */
class FrechetDistanceTest {
    private static double[][] diag(double... d) {
        double[][] m = new double[d.length][d.length];
        for (int i = 0; i < d.length; i++) {
            m[i][i] = d[i];
        }
        return m;
    }

    /** A random well-conditioned covariance A A^T / n + 0.1 I. */
    private static double[][] randomCov(int f, long seed) {
        Random r = new Random(seed);
        double[][] a = new double[f][f];
        for (double[] row : a) {
            for (int j = 0; j < f; j++) {
                row[j] = r.nextGaussian();
            }
        }
        double[][] c = new double[f][f];
        for (int i = 0; i < f; i++) {
            for (int j = 0; j < f; j++) {
                for (int k = 0; k < f; k++) {
                    c[i][j] += a[i][k] * a[j][k] / f;
                }
            }
            c[i][i] += 0.1;
        }
        return c;
    }

    @Test
    void identicalStatisticsAreAtDistanceZero() {
        int f = 32;
        double[][] s = randomCov(f, 1);
        double[] mu = new double[f];
        double trace = 0;
        for (int i = 0; i < f; i++) {
            mu[i] = i * 0.1;
            trace += s[i][i];
        }
        double d = FrechetDistance.between(mu, s, mu, s);
        assertEquals(0, d, 1e-9 * trace);
    }

    @Test
    void diagonalCovariancesGiveTheClosedForm() {
        double[] a = {1, 4, 0.25, 9}, b = {2, 1, 1, 16};
        double[] mu1 = {0, 1, 2, 3}, mu2 = {1, 1, 0, 3};
        double want = 1 + 0 + 4 + 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.sqrt(a[i]) - Math.sqrt(b[i]);
            want += d * d;
        }
        assertEquals(want, FrechetDistance.between(mu1, diag(a), mu2, diag(b)), 1e-12 * want);
    }

    @Test
    void nonDiagonalTwoByTwoMatchesTheHandComputedValue() {
        // S1 = [[2,1],[1,2]], S2 = diag(1, 4). (S1 S2)^{1/2} has the eigenvalues of the square roots of
        // S1 S2 = [[2,4],[1,8]]: for a 2x2 PSD-similar matrix M, Tr M^{1/2} = sqrt(Tr M + 2 sqrt(det M)),
        // here sqrt(10 + 2 sqrt(12)). FD = Tr S1 + Tr S2 - 2 Tr(...) + ||dmu||^2 with dmu = (1, -2).
        double[][] s1 = {{2, 1}, {1, 2}};
        double[][] s2 = diag(1, 4);
        double want = 5 + 4 + 5 - 2 * Math.sqrt(10 + 2 * Math.sqrt(12));
        assertEquals(want, FrechetDistance.between(new double[] {1, 0}, s1, new double[] {0, 2}, s2), 1e-12);
        // Symmetric in its arguments.
        assertEquals(want, FrechetDistance.between(new double[] {0, 2}, s2, new double[] {1, 0}, s1), 1e-12);
        // S1 = I, S2 = [[2,1],[1,2]]: sqrt(S2) has eigenvalues sqrt(3), 1; FD = 2 + 4 - 2 (sqrt(3) + 1).
        assertEquals(4 - 2 * Math.sqrt(3), FrechetDistance.between(new double[2], diag(1, 1), new double[2], s1), 1e-12);
    }

    @Test
    void oneDimensionalCaseIsMeanAndStdDifference() {
        double m1 = 0.3, m2 = -1.2, s1 = 0.5, s2 = 2.5;
        double want = (m1 - m2) * (m1 - m2) + (s1 - s2) * (s1 - s2);
        assertEquals(want, FrechetDistance.between(new double[] {m1}, diag(s1 * s1), new double[] {m2}, diag(s2 * s2)), 1e-12);
    }

    @Test
    void singularCovarianceIsHandled() {
        // Rank-one S1 = v v^T with v = (1, 1); S2 = I: Tr (S1)^{1/2} = |v| = sqrt(2).
        double d = FrechetDistance.between(new double[2], new double[][] {{1, 1}, {1, 1}}, new double[2], diag(1, 1));
        assertEquals(2 + 2 - 2 * Math.sqrt(2), d, 1e-9);
        assertTrue(d > 0);
    }

    @Test
    void featureStatsFromSamplesMatchNumpyCov() {
        double[][] rows = {{1, 2}, {3, 6}, {5, 4}};
        FeatureStats s = FeatureStats.of(rows);
        assertEquals(3, s.mean()[0], 1e-15);
        assertEquals(4, s.mean()[1], 1e-15);
        // numpy.cov(rows, rowvar=False): var x = 4, var y = 4, cov = (-2*-2 + 0*2 + 2*0) / 2 = 2.
        assertEquals(4, s.cov()[0][0], 1e-15);
        assertEquals(4, s.cov()[1][1], 1e-15);
        assertEquals(2, s.cov()[0][1], 1e-15);
        assertEquals(2, s.cov()[1][0], 1e-15);
    }

    @Test
    void sampleStatisticsOfTwoGaussiansApproachTheTrueDistance() {
        // 20000 draws of N(0, 1) and N(1, 4) in 2-D independent coordinates: FD = 2 * (1 + (1 - 2)^2) = 4.
        Random r = new Random(11);
        int n = 20000;
        double[][] a = new double[n][2], b = new double[n][2];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 2; j++) {
                a[i][j] = r.nextGaussian();
                b[i][j] = 1 + 2 * r.nextGaussian();
            }
        }
        // Standard errors of order 2/sqrt(n) per estimated moment; 0.15 is several of them.
        assertEquals(4, FrechetDistance.between(FeatureStats.of(a), FeatureStats.of(b)), 0.15);
    }

    // ---------------------------------------------------------------- helpers for the closed forms

    /** A random orthogonal matrix: Gram-Schmidt on Gaussian columns. */
    private static double[][] randomRotation(int f, long seed) {
        Random r = new Random(seed);
        double[][] q = new double[f][f];
        for (int j = 0; j < f; j++) {
            double[] v = new double[f];
            for (int i = 0; i < f; i++) {
                v[i] = r.nextGaussian();
            }
            for (int k = 0; k < j; k++) {
                double dot = 0;
                for (int i = 0; i < f; i++) {
                    dot += v[i] * q[i][k];
                }
                for (int i = 0; i < f; i++) {
                    v[i] -= dot * q[i][k];
                }
            }
            double norm = 0;
            for (double x : v) {
                norm += x * x;
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < f; i++) {
                q[i][j] = v[i] / norm;
            }
        }
        return q;
    }

    /** Q S Q^T. */
    private static double[][] rotate(double[][] q, double[][] s) {
        int f = s.length;
        double[][] qs = new double[f][f], out = new double[f][f];
        for (int i = 0; i < f; i++) {
            for (int k = 0; k < f; k++) {
                for (int j = 0; j < f; j++) {
                    qs[i][j] += q[i][k] * s[k][j];
                }
            }
        }
        for (int i = 0; i < f; i++) {
            for (int j = 0; j < f; j++) {
                for (int k = 0; k < f; k++) {
                    out[i][j] += qs[i][k] * q[j][k];
                }
            }
        }
        return out;
    }

    /** Q mu. */
    private static double[] rotate(double[][] q, double[] mu) {
        double[] out = new double[mu.length];
        for (int i = 0; i < mu.length; i++) {
            for (int k = 0; k < mu.length; k++) {
                out[i] += q[i][k] * mu[k];
            }
        }
        return out;
    }

    /** The projection onto the span of orthonormal vectors. */
    private static double[][] projection(double[]... basis) {
        int f = basis[0].length;
        double[][] p = new double[f][f];
        for (double[] u : basis) {
            for (int i = 0; i < f; i++) {
                for (int j = 0; j < f; j++) {
                    p[i][j] += u[i] * u[j];
                }
            }
        }
        return p;
    }

    private static double[] unit(int f, int i) {
        double[] e = new double[f];
        e[i] = 1;
        return e;
    }

    private static double[] randomVector(int f, Random r) {
        double[] v = new double[f];
        for (int i = 0; i < f; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    private static double squaredDistance(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return d;
    }

    /** n rows of sparse non-negative features, max(0, 5 (g - 2)): the kind of ReLU output the classifier gives. */
    private static double[][] sparseFeatures(int n, int f, long seed) {
        Random r = new Random(seed);
        double[][] x = new double[n][f];
        for (double[] row : x) {
            for (int j = 0; j < f; j++) {
                row[j] = Math.max(0, 5 * (r.nextGaussian() - 2));
            }
        }
        return x;
    }

    private static double[][] gaussianFeatures(int n, int f, long seed) {
        Random r = new Random(seed);
        double[][] x = new double[n][];
        for (int k = 0; k < n; k++) {
            x[k] = randomVector(f, r);
        }
        return x;
    }

    // ---------------------------------------------------------------- closed forms

    @Test
    void commutingCovariancesInARotatedBasisGiveTheClosedForm() {
        // S1 = Q diag(a) Q^T, S2 = Q diag(b) Q^T: the Gaussians are products along Q's columns, so
        // FD = |mu1 - mu2|^2 + sum (sqrt a_i - sqrt b_i)^2. Zeros in a and b make both rank-deficient.
        double[] a = {4, 0, 0, 2.25, 1, 0, 9, 0.01, 0, 16, 0, 3};
        double[] b = {1, 0, 5, 2.25, 0, 0, 4, 1, 0, 0, 0, 12};
        int f = a.length;
        double[][] q = randomRotation(f, 3);
        Random r = new Random(4);
        double[] mu1 = randomVector(f, r), mu2 = randomVector(f, r);
        double want = squaredDistance(mu1, mu2);
        for (int i = 0; i < f; i++) {
            double d = Math.sqrt(a[i]) - Math.sqrt(b[i]);
            want += d * d;
        }
        double got = FrechetDistance.between(mu1, rotate(q, diag(a)), mu2, rotate(q, diag(b)));
        assertEquals(want, got, 1e-10 * want);
    }

    @Test
    void projectionsAtKnownPrincipalAnglesGiveTwiceTheRankMinusTheCosines() {
        // P projects onto span(e_1, e_2, e_3), Q onto span(cos t_i e_i + sin t_i e_{3+i}): P Q P has the
        // eigenvalues cos^2 t_i, so Tr (P^{1/2} Q P^{1/2})^{1/2} = Tr (P Q P)^{1/2} = sum cos t_i and, with equal
        // means, FD = 3 + 3 - 2 sum cos t_i. Both have rank 3 in 8 dimensions and do not commute; an angle
        // of pi/2 gives a zero eigenvalue of P Q P besides the five of the null space.
        int f = 8;
        double[] angles = {0, 0.7, Math.PI / 2};
        double[][] u = new double[3][], w = new double[3][];
        double cosines = 0;
        for (int i = 0; i < 3; i++) {
            u[i] = unit(f, i);
            w[i] = new double[f];
            w[i][i] = Math.cos(angles[i]);
            w[i][3 + i] = Math.sin(angles[i]);
            cosines += Math.cos(angles[i]);
        }
        double[][] p = projection(u), qq = projection(w);
        double want = 6 - 2 * cosines;
        double[] zero = new double[f];
        assertEquals(want, FrechetDistance.between(zero, p, zero, qq), 1e-12);
        assertEquals(cosines, FrechetDistance.traceSqrtProduct(p, qq), 1e-12);
        // The same in a rotated basis, with a mean shift d added.
        double[][] rot = randomRotation(f, 5);
        double[] d = {0.5, -1, 0, 2, 0, 0, 1, 0};
        assertEquals(want + squaredDistance(d, zero),
                FrechetDistance.between(rotate(rot, zero), rotate(rot, p), rotate(rot, d), rotate(rot, qq)), 1e-10);
    }

    @Test
    void aCommonRotationLeavesTheDistanceUnchanged() {
        int f = 24;
        Random r = new Random(6);
        double[][] q = randomRotation(f, 7);
        double[] mu1 = randomVector(f, r), mu2 = randomVector(f, r);
        // Full rank, and the rank-deficient covariances of 5 and 9 samples.
        double[][][] pairs = {randomCov(f, 8), randomCov(f, 9),
                FeatureStats.of(sparseFeatures(5, f, 10)).cov(), FeatureStats.of(sparseFeatures(9, f, 11)).cov()};
        for (int k = 0; k < pairs.length; k += 2) {
            double d = FrechetDistance.between(mu1, pairs[k], mu2, pairs[k + 1]);
            double rotated = FrechetDistance.between(rotate(q, mu1), rotate(q, pairs[k]), rotate(q, mu2),
                    rotate(q, pairs[k + 1]));
            assertEquals(d, rotated, 1e-9 * d, "pair " + k / 2);
        }
    }

    @Test
    void rankDeficientSampleCovariancesAreAtDistanceZeroFromThemselvesAndSymmetric() {
        // 4 sparse feature rows in 128 dimensions: the sample covariance has rank 3, and 4 such rows are what
        // made the QL eigensolver of Hipparchus give up ("convergence failed") and stopped the report.
        int f = 128;
        FeatureStats x = FeatureStats.of(sparseFeatures(4, f, 12)), y = FeatureStats.of(sparseFeatures(6, f, 13));
        double trace = 0;
        for (int i = 0; i < f; i++) {
            trace += x.cov()[i][i];
        }
        assertEquals(0, FrechetDistance.between(x, x), 1e-9 * trace);
        double xy = FrechetDistance.between(x, y), yx = FrechetDistance.between(y, x);
        assertTrue(xy > 0 && Double.isFinite(xy), "FD " + xy);
        assertEquals(xy, yx, 1e-9 * xy);
    }

    @Test
    void fewSamplesAgreeWithTheirGramMatrix() {
        // S1 = B^T B with B = Xc / sqrt(n - 1) (centred rows): the non-zero eigenvalues of S1^{1/2} S2 S1^{1/2}
        // are those of S2^{1/2} B^T B S2^{1/2} = C^T C, C = B S2^{1/2}, and so of C C^T = B S2 B^T, an n x n
        // matrix that Hipparchus decomposes without trouble. S2: diagonal with dead (zero-variance) features.
        int f = 128, n = 4;
        double[][] rows = sparseFeatures(n, f, 14);
        FeatureStats x = FeatureStats.of(rows);
        double[] d = new double[f];
        Random r = new Random(15);
        for (int i = 34; i < f; i++) {
            d[i] = 0.5 + r.nextDouble();
        }
        double[] mu2 = randomVector(f, r);
        double[] mu1 = x.mean();
        double[][] b = new double[n][f];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < f; i++) {
                b[k][i] = (rows[k][i] - mu1[i]) / Math.sqrt(n - 1);
            }
        }
        double[][] g = new double[n][n];
        double trace1 = 0, trace2 = 0;
        for (int k = 0; k < n; k++) {
            for (int l = 0; l < n; l++) {
                for (int i = 0; i < f; i++) {
                    g[k][l] += b[k][i] * d[i] * b[l][i];
                }
            }
            for (int i = 0; i < f; i++) {
                trace1 += b[k][i] * b[k][i];
            }
        }
        for (double v : d) {
            trace2 += v;
        }
        double roots = 0;
        for (double l : new EigenDecompositionSymmetric(new Array2DRowRealMatrix(g)).getEigenvalues()) {
            roots += Math.sqrt(Math.max(l, 0));
        }
        double want = squaredDistance(mu1, mu2) + trace1 + trace2 - 2 * roots;
        assertEquals(want, FrechetDistance.between(mu1, x.cov(), mu2, diag(d)), 1e-9 * want);
        assertEquals(want, FrechetDistance.between(mu2, diag(d), mu1, x.cov()), 1e-9 * want);
    }

    @Test
    void agreesWithTheHipparchusComputationOnFullRankCovariances() {
        // The computation this class used before, Tr (S1^{1/2} S2 S1^{1/2})^{1/2} from Hipparchus
        // eigendecompositions, where that converges (full-rank, well-conditioned): the report's earlier
        // figures stand.
        for (int f : new int[] {3, 16, 64}) {
            double[][] s1 = randomCov(f, 20 + f), s2 = randomCov(f, 40 + f);
            Random r = new Random(f);
            double[] mu1 = randomVector(f, r), mu2 = randomVector(f, r);
            EigenDecompositionSymmetric e = new EigenDecompositionSymmetric(new Array2DRowRealMatrix(s1));
            RealMatrix root = e.getSquareRoot();
            RealMatrix m = root.multiply(new Array2DRowRealMatrix(s2)).multiply(root);
            RealMatrix sym = m.add(m.transpose()).scalarMultiply(0.5);
            double roots = 0;
            for (double l : new EigenDecompositionSymmetric(sym).getEigenvalues()) {
                roots += Math.sqrt(Math.max(l, 0));
            }
            double want = squaredDistance(mu1, mu2) + new Array2DRowRealMatrix(s1).getTrace()
                    + new Array2DRowRealMatrix(s2).getTrace() - 2 * roots;
            assertEquals(want, FrechetDistance.between(mu1, s1, mu2, s2), 1e-9 * want, "F = " + f);
        }
    }

    @Test
    void scalingTheFeaturesScalesTheDistanceByTheSquare() {
        // Features times c: means times c, covariances times c^2, FD times c^2; far outside the range where
        // squares of entries would overflow or underflow unscaled.
        int f = 6;
        double[][] s1 = randomCov(f, 30), s2 = FeatureStats.of(sparseFeatures(3, f, 31)).cov();
        Random r = new Random(32);
        double[] mu1 = randomVector(f, r), mu2 = randomVector(f, r);
        double base = FrechetDistance.between(mu1, s1, mu2, s2);
        for (double c : new double[] {1e-120, 3e-7, 7e5, 1e120}) {
            double[][] t1 = new double[f][f], t2 = new double[f][f];
            double[] m1 = new double[f], m2 = new double[f];
            for (int i = 0; i < f; i++) {
                m1[i] = c * mu1[i];
                m2[i] = c * mu2[i];
                for (int j = 0; j < f; j++) {
                    t1[i][j] = c * c * s1[i][j];
                    t2[i][j] = c * c * s2[i][j];
                }
            }
            assertEquals(base, FrechetDistance.between(m1, t1, m2, t2) / (c * c), 1e-9 * base, "c = " + c);
        }
    }

    @Test
    void nonFiniteEntriesGiveNaNNotAnException() {
        double[][] s = diag(1, 2);
        assertTrue(Double.isNaN(FrechetDistance.between(new double[] {Double.NaN, 0}, s, new double[2], s)));
        assertTrue(Double.isNaN(FrechetDistance.between(new double[2], diag(1, Double.POSITIVE_INFINITY), new double[2], s)));
        assertTrue(Double.isNaN(FrechetDistance.traceSqrtProduct(s, diag(Double.NaN, 1))));
        // All-zero covariances: point masses, FD = |dmu|^2.
        assertEquals(25, FrechetDistance.between(new double[] {3, 0}, diag(0, 0), new double[] {0, 4}, diag(0, 0)), 0);
        // A point mass against N(0, S2): the whole variance of S2.
        assertEquals(3, FrechetDistance.between(new double[2], diag(0, 0), new double[2], s), 1e-12);
    }

    // ---------------------------------------------------------------- report figures

    /** Real statistics of rank 3 in 5 dimensions (two features that never vary). */
    private static FeatureStats rankThreeReal() {
        return new FeatureStats(new double[] {1, 0, 2, 0, 0.5}, diag(2, 0, 1, 0, 3));
    }

    @Test
    void aFigureNeedsOneMoreImageThanTheDirectionsRealImagesVaryIn() {
        FrechetDistance.Reference ref = FrechetDistance.reference(rankThreeReal());
        assertEquals(5, ref.dimension());
        assertEquals(3, ref.rank());
        assertEquals(4, ref.imagesNeeded());
        double[][] four = gaussianFeatures(4, 5, 40);
        FrechetDistance.Figure few = ref.figure(Arrays.copyOf(four, 3));
        assertFalse(few.available());
        assertTrue(Double.isNaN(few.value()));
        assertTrue(few.unavailable().startsWith("only 3 images: FD needs at least 4 here, one more than the 3 directions"),
                few.unavailable());
        FrechetDistance.Figure enough = ref.figure(four);
        assertTrue(enough.available(), enough.unavailable());
        assertNull(enough.unavailable());
        assertEquals(FrechetDistance.between(FeatureStats.of(four), rankThreeReal()), enough.value(),
                1e-12 * enough.value());
    }

    @Test
    void figuresAreNotAvailableWithAReasonRatherThanAnException() {
        FrechetDistance.Reference ref = FrechetDistance.reference(rankThreeReal());
        double[][] rows = gaussianFeatures(6, 5, 41);
        rows[2][4] = Double.NaN;
        rows[5][0] = Double.POSITIVE_INFINITY;
        assertEquals("2 of 6 images have non-finite classifier features", ref.figure(rows).unavailable());
        assertEquals("no image has classifier features", ref.figure(new double[0][]).unavailable());
        assertEquals("the images have 4 classifier features, the real-image statistics 5",
                ref.figure(gaussianFeatures(6, 4, 42)).unavailable());
        assertEquals("only 1 image: FD needs at least 4 here, one more than the 3 directions the real images' features"
                + " vary in (with fewer, FD measures the image count, not the images)",
                ref.figure(gaussianFeatures(1, 5, 43)).unavailable());
        // Real statistics that never vary: a covariance still needs two images.
        FrechetDistance.Reference flat = FrechetDistance.reference(new FeatureStats(new double[2], diag(0, 0)));
        assertEquals("only 1 image: FD needs at least 2 for a covariance", flat.figure(new double[][] {{1, 1}}).unavailable());
        assertEquals(2, flat.figure(new double[][] {{1, 1}, {1, 1}}).value(), 1e-12);
        FrechetDistance.Reference broken = FrechetDistance.reference(new FeatureStats(new double[] {0, Double.NaN}, diag(1, 1)));
        assertEquals("the real-image feature statistics are not finite", broken.figure(rows).unavailable());
    }

    @Test
    void bootstrapErrorMatchesTheSpreadOverIndependentImageSets() {
        // Real statistics N(0, I) in 6 dimensions; generated images N(0.3, 1.2^2 I), 400 per set. The FD of one
        // set scatters over independent sets; the bootstrap error from a single set must estimate that scatter.
        int dim = 6, n = 400;
        double[][] cov = new double[dim][dim];
        for (int i = 0; i < dim; i++) {
            cov[i][i] = 1;
        }
        FrechetDistance.Reference ref = FrechetDistance.reference(new FeatureStats(new double[dim], cov));
        Random rnd = new Random(11);
        double sum = 0, sumSq = 0;
        int sets = 200;
        double[][] first = null;
        for (int k = 0; k < sets; k++) {
            double[][] f = new double[n][dim];
            for (double[] row : f) {
                for (int j = 0; j < dim; j++) {
                    row[j] = 0.3 + 1.2 * rnd.nextGaussian();
                }
            }
            first = first == null ? f : first;
            double fd = ref.figure(f).value();
            sum += fd;
            sumSq += fd * fd;
        }
        double sd = Math.sqrt((sumSq - sum * sum / sets) / (sets - 1));
        double se = FrechetDistance.bootstrapError(ref, first, 400, 5);
        assertTrue(se > 0.6 * sd && se < 1.6 * sd, "bootstrap " + se + " vs spread over sets " + sd);
        assertEquals(se, FrechetDistance.bootstrapError(ref, first, 400, 5), 0, "seeded: the same error again");
        assertTrue(Double.isNaN(FrechetDistance.bootstrapError(ref, new double[3][dim], 100, 5)), "too few images: no error");
    }
}
