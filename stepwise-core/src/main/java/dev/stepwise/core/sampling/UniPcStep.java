package dev.stepwise.core.sampling;

import dev.stepwise.core.tensor.Vec;

/**
 * The UniPC update of Zhao et al. 2023 ("UniPC: A Unified Predictor-Corrector Framework for Fast Sampling of
 * Diffusion Models"), data-prediction (x0) form with B(h) coefficients (sec. 3 of the paper and its
 * appendix; ComfyUI's {@code multistep_uni_pc_bh_update} with {@code predict_x0}). In VE form, with
 * lambda = -log sigma, h = lambda_t - lambda_s and m_k the model's x0 estimates (m_0 at s, newest first):
 *
 * <pre>
 *   x_t = (sigma_t / sigma_s) x_s + (1 - e^{-h}) m_0 - B(h) sum_k rho_k D1_k,   D1_k = (m_k - m_0) / r_k,
 *   r_k = (lambda_k - lambda_s) / h,
 * </pre>
 *
 * where the predictor UniP-p sums over the p - 1 previous estimates and the corrector UniC-p adds the model
 * output at t itself (r = 1, D1 = m_t - m_0). The weights rho solve R rho = b (paper, sec. 3):
 * R_{ij} = r_j^{i-1}, b_i = (-h) phi_{i+1}(-h) i! / B(h) with h phi_{k+1} from the recurrence of ComfyUI's code;
 * the predictor uses the leading (p - 1) x (p - 1) block, and the two order-one cases use rho = 1/2 as the
 * reference does. UniC-p raises a p-th order predictor to order p + 1 (paper, Theorem 3.1).
 */
public final class UniPcStep {

    /**
     * B(h) in the data-prediction form (h' = -h): bh1 is B(h) = h', bh2 is B(h) = e^{h'} - 1 (paper, sec. 3). As b is
     * proportional to 1 / B(h), B(h) cancels wherever rho solves the full system; it matters where rho = 1/2 is fixed
     * (the order-2 predictor and the order-1 corrector).
     */
    public enum Variant {
        BH1, BH2;

        double b(double hh) {
            return this == BH1 ? hh : Math.expm1(hh);
        }
    }

    private UniPcStep() {
    }

    public static double lambda(double sigma) {
        return -Math.log(sigma);
    }

    /**
     * The predictor UniP-{@code order} from x_s at sigma_s to sigma_t into {@code out} (may alias xs): m holds
     * m_0, m_1, ... keyed by lambda, newest first, at least {@code order} entries.
     */
    public static void predict(float[] out, float[] xs, double sigmaS, double sigmaT, History m, int order,
                               Variant variant) {
        combine(out, xs, sigmaS, sigmaT, m, order, null, variant);
    }

    /**
     * The corrector UniC-{@code order}: x_t from x_s with the previous estimates m and the model output
     * {@code mT} at the predicted point at sigma_t, into {@code out} (may alias xs, not mT or m).
     */
    public static void correct(float[] out, float[] xs, double sigmaS, double sigmaT, History m, int order,
                               float[] mT, Variant variant) {
        combine(out, xs, sigmaS, sigmaT, m, order, mT, variant);
    }

    private static void combine(float[] out, float[] xs, double sigmaS, double sigmaT, History m, int order,
                                float[] mT, Variant variant) {
        if (order < 1 || order > m.size()) {
            throw new IllegalArgumentException("UniPC order " + order + " needs that many estimates; have " + m.size());
        }
        double lambdaS = lambda(sigmaS);
        double h = lambda(sigmaT) - lambdaS;
        double hh = -h;                                       // the data-prediction form integrates in -lambda
        double bh = variant.b(hh);
        double[] r = new double[order];                       // r_1..r_{order-1}, then r = 1 for t itself
        for (int k = 1; k < order; k++) {
            r[k - 1] = (m.key(k) - lambdaS) / h;
        }
        r[order - 1] = 1;
        double[] rho = weights(r, hh, bh, mT != null);
        boolean corrector = mT != null;
        int previous = order - 1;
        double[] c = new double[2 + previous + (corrector ? 1 : 0)];
        float[][] terms = new float[c.length][];
        c[0] = sigmaT / sigmaS;
        terms[0] = xs;
        c[1] = -Math.expm1(hh);                                // (1 - e^{-h}) m_0
        terms[1] = m.get(0);
        for (int k = 1; k <= previous; k++) {                  // - B(h) rho_k (m_k - m_0) / r_k
            double w = bh * rho[k - 1] / r[k - 1];
            c[1 + k] = -w;
            terms[1 + k] = m.get(k);
            c[1] += w;
        }
        if (corrector) {                                       // - B(h) rho_t (m_t - m_0)
            double w = bh * rho[order - 1];
            c[c.length - 1] = -w;
            terms[c.length - 1] = mT;
            c[1] += w;
        }
        Vec.lin(out, c, terms);
    }

    /** rho for the predictor (first order - 1 nodes) or the corrector (all nodes), as the reference solves them. */
    static double[] weights(double[] r, double hh, double bh, boolean corrector) {
        int order = r.length;
        double[] b = new double[order];
        double g = Math.expm1(hh) / hh - 1;                   // h phi_2-type terms, ComfyUI's recurrence
        double factorial = 1;
        for (int i = 1; i <= order; i++) {
            b[i - 1] = g * factorial / bh;
            factorial *= i + 1;
            g = g / hh - 1 / factorial;
        }
        if (!corrector) {
            if (order == 1) {
                return new double[0];
            }
            if (order == 2) {
                return new double[] {0.5};
            }
            return solve(vandermonde(r, order - 1), java.util.Arrays.copyOf(b, order - 1));
        }
        if (order == 1) {
            return new double[] {0.5};
        }
        return solve(vandermonde(r, order), b);
    }

    /** R_{ij} = r_j^i for i, j < n. */
    private static double[][] vandermonde(double[] r, int n) {
        double[][] a = new double[n][n];
        for (int j = 0; j < n; j++) {
            double p = 1;
            for (int i = 0; i < n; i++) {
                a[i][j] = p;
                p *= r[j];
            }
        }
        return a;
    }

    /** Gaussian elimination with partial pivoting (n <= 4). */
    private static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double[][] m = new double[n][];
        double[] y = b.clone();
        for (int i = 0; i < n; i++) {
            m[i] = a[i].clone();
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int row = col + 1; row < n; row++) {
                if (Math.abs(m[row][col]) > Math.abs(m[pivot][col])) {
                    pivot = row;
                }
            }
            double[] tr = m[col];
            m[col] = m[pivot];
            m[pivot] = tr;
            double ty = y[col];
            y[col] = y[pivot];
            y[pivot] = ty;
            for (int row = col + 1; row < n; row++) {
                double f = m[row][col] / m[col][col];
                for (int k = col; k < n; k++) {
                    m[row][k] -= f * m[col][k];
                }
                y[row] -= f * y[col];
            }
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < n; k++) {
                s -= m[i][k] * x[k];
            }
            x[i] = s / m[i][i];
        }
        return x;
    }
}
