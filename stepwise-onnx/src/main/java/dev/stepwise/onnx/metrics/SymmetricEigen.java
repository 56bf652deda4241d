package dev.stepwise.onnx.metrics;

import java.util.Arrays;

/**
 * Eigenvalues, and optionally eigenvectors, of a real symmetric matrix by the cyclic Jacobi method.
 * <p>
 * Why not Hipparchus's {@code EigenDecompositionSymmetric}: its implicit QL iteration gives up ("convergence
 * failed") on covariances with many zero eigenvalues, which is what the features of a few images in 128
 * dimensions give. Each Jacobi rotation lowers the off-diagonal sum of squares by 2 a_pq^2, so the sweeps
 * converge (quadratically) for every finite symmetric matrix; there is no failure path, and the cap on
 * sweeps is only a guard. The cost, about ten sweeps of n^2/2 rotations, is well below a second for the
 * 128 x 128 covariances here.
 */
final class SymmetricEigen {
    /** Far more than the ~10 sweeps a 128 x 128 covariance takes; stops a loop on non-finite input. */
    static final int MAX_SWEEPS = 60;

    /** The eigenvalues in decreasing order. */
    final double[] values;
    /** The eigenvectors as columns, in the order of {@link #values}, or null when not asked for. */
    final double[][] vectors;

    private SymmetricEigen(double[] values, double[][] vectors) {
        this.values = values;
        this.vectors = vectors;
    }

    /**
     * Decomposes (S + S^T) / 2, so that round-off asymmetry in S does not matter. The work is done on S scaled
     * by a power of two (exact) to a largest entry near 1, so that squares of entries neither overflow nor
     * underflow whatever the units of S.
     *
     * @param s       a square matrix (not changed)
     * @param vectors whether to accumulate the eigenvectors (about a third of the work)
     */
    static SymmetricEigen of(double[][] s, boolean vectors) {
        int n = s.length;
        double max = 0;
        for (int i = 0; i < n; i++) {
            if (s[i].length != n) {
                throw new IllegalArgumentException("matrix row " + i + " has " + s[i].length + " entries, not " + n);
            }
            for (double x : s[i]) {
                max = Math.max(max, Math.abs(x));
            }
        }
        int shift = max > 0 && Double.isFinite(max) ? -Math.getExponent(max) : 0;
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = 0.5 * Math.scalb(s[i][j], shift) + 0.5 * Math.scalb(s[j][i], shift);
            }
        }
        double[][] v = vectors ? identity(n) : null;
        for (int sweep = 0; sweep < MAX_SWEEPS && offDiagonal(a) > 0; sweep++) {
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    rotate(a, v, p, q, sweep);
                }
            }
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = Math.scalb(a[i][i], -shift);
        }
        return sorted(values, v);
    }

    /** The sum of squares of the entries above the diagonal (0 once diagonal, or after underflow). */
    private static double offDiagonal(double[][] a) {
        double off = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = i + 1; j < a.length; j++) {
                off += a[i][j] * a[i][j];
            }
        }
        return off;
    }

    /**
     * Zeroes a_pq by A <- P^T A P with the plane rotation P (P_pp = P_qq = c, P_pq = s, P_qp = -s), and
     * accumulates V <- V P. tan(angle) t is the smaller root of t^2 + 2 theta t - 1 = 0, theta = (a_qq - a_pp)
     * / (2 a_pq), which keeps the rotation below 45 degrees and the update stable.
     */
    private static void rotate(double[][] a, double[][] v, int p, int q, int sweep) {
        double apq = a[p][q];
        if (apq == 0) {
            return;
        }
        double app = a[p][p], aqq = a[q][q];
        // After a few sweeps an a_pq too small to change either diagonal entry is dropped instead of rotated
        // away; the classic shortcut, which also ends the sweeps once only such entries are left.
        double g = 100 * Math.abs(apq);
        if (sweep > 3 && Math.abs(app) + g == Math.abs(app) && Math.abs(aqq) + g == Math.abs(aqq)) {
            a[p][q] = 0;
            a[q][p] = 0;
            return;
        }
        double theta = (aqq - app) / (2 * apq);
        double t = Math.abs(theta) > 1e150 ? 0.5 / theta   // theta^2 would overflow; t -> 1 / (2 theta)
                : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        double c = 1 / Math.sqrt(t * t + 1), s = t * c;
        int n = a.length;
        for (int k = 0; k < n; k++) {
            if (k == p || k == q) {
                continue;
            }
            double akp = a[k][p], akq = a[k][q];
            double kp = c * akp - s * akq, kq = s * akp + c * akq;
            a[k][p] = kp;
            a[p][k] = kp;
            a[k][q] = kq;
            a[q][k] = kq;
        }
        a[p][p] = app - t * apq;
        a[q][q] = aqq + t * apq;
        a[p][q] = 0;
        a[q][p] = 0;
        if (v != null) {
            for (double[] row : v) {
                double vp = row[p], vq = row[q];
                row[p] = c * vp - s * vq;
                row[q] = s * vp + c * vq;
            }
        }
    }

    private static double[][] identity(int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            m[i][i] = 1;
        }
        return m;
    }

    /** Values in decreasing order, the vector columns with them. */
    private static SymmetricEigen sorted(double[] values, double[][] v) {
        int n = values.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Double.compare(values[y], values[x]));
        double[] sv = new double[n];
        double[][] vv = v == null ? null : new double[n][n];
        for (int j = 0; j < n; j++) {
            sv[j] = values[order[j]];
            if (v != null) {
                for (int i = 0; i < n; i++) {
                    vv[i][j] = v[i][order[j]];
                }
            }
        }
        return new SymmetricEigen(sv, vv);
    }
}
