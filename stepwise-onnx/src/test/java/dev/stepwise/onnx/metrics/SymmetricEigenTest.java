package dev.stepwise.onnx.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Jacobi eigensolver by its definition: S V = V diag(l), V^T V = I, l decreasing, trace kept. */
class SymmetricEigenTest {
    /** max |S V - V diag(l)| and max |V^T V - I|. */
    private static double[] residuals(double[][] s, SymmetricEigen e) {
        int n = s.length;
        double av = 0, orth = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double sv = 0, vtv = 0;
                for (int k = 0; k < n; k++) {
                    sv += s[i][k] * e.vectors[k][j];
                    vtv += e.vectors[k][i] * e.vectors[k][j];
                }
                av = Math.max(av, Math.abs(sv - e.vectors[i][j] * e.values[j]));
                orth = Math.max(orth, Math.abs(vtv - (i == j ? 1 : 0)));
            }
        }
        return new double[] {av, orth};
    }

    private static void assertDecomposes(double[][] s, double scale) {
        SymmetricEigen e = SymmetricEigen.of(s, true);
        double[] r = residuals(s, e);
        assertTrue(r[0] <= 1e-12 * scale, "|S V - V L| = " + r[0]);
        assertTrue(r[1] <= 1e-12, "|V^T V - I| = " + r[1]);
        double trace = 0, sum = 0;
        for (int i = 0; i < s.length; i++) {
            trace += s[i][i];
            sum += e.values[i];
            if (i > 0) {
                assertTrue(e.values[i] <= e.values[i - 1], "decreasing");
            }
        }
        assertEquals(trace, sum, 1e-12 * scale * s.length);
        assertArrayEquals(e.values, SymmetricEigen.of(s, false).values, 0, "values without vectors are the same");
    }

    @Test
    void twoByTwoHasItsClosedForm() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1, eigenvectors (1, 1) and (1, -1) over sqrt 2.
        SymmetricEigen e = SymmetricEigen.of(new double[][] {{2, 1}, {1, 2}}, true);
        assertArrayEquals(new double[] {3, 1}, e.values, 1e-15);
        assertEquals(Math.sqrt(0.5), Math.abs(e.vectors[0][0]), 1e-15);
        assertEquals(e.vectors[0][0], e.vectors[1][0], 1e-15);
        assertEquals(-e.vectors[0][1], e.vectors[1][1], 1e-15);
    }

    @Test
    void randomSymmetricAndRankDeficientCovariancesDecompose() {
        Random r = new Random(1);
        for (int n : new int[] {1, 5, 40}) {
            double[][] s = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) {
                    s[i][j] = r.nextGaussian();
                    s[j][i] = s[i][j];
                }
            }
            assertDecomposes(s, Math.sqrt(n));
        }
        // The covariance of 4 sparse rows in 128 dimensions (rank 3, most features constant): the case that
        // Hipparchus's QL iteration gives up on.
        double[][] x = new double[4][128];
        for (double[] row : x) {
            for (int j = 0; j < 128; j++) {
                row[j] = Math.max(0, 5 * (r.nextGaussian() - 2));
            }
        }
        double[][] cov = FeatureStats.of(x).cov();
        SymmetricEigen e = SymmetricEigen.of(cov, true);
        assertDecomposes(cov, e.values[0]);
        assertTrue(e.values[3] <= 1e-13 * e.values[0], "rank 3: " + e.values[3]);
    }

    @Test
    void zeroAndDiagonalMatricesAreTheirOwnDecomposition() {
        SymmetricEigen zero = SymmetricEigen.of(new double[3][3], true);
        assertArrayEquals(new double[3], zero.values, 0);
        assertDecomposes(new double[][] {{1e-300, 0}, {0, 3e-300}}, 3e-300);
        assertArrayEquals(new double[] {3e300, -1e300},
                SymmetricEigen.of(new double[][] {{-1e300, 0}, {0, 3e300}}, false).values, 0);
        assertNull(SymmetricEigen.of(new double[][] {{1}}, false).vectors);
    }
}
