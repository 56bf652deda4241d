package dev.stepwise.onnx.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

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
}
