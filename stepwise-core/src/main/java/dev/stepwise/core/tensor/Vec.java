package dev.stepwise.core.tensor;

/**
 * In-place arithmetic on equal-length float arrays with an explicit output, so that a sampler step
 * allocates nothing. Coefficients are doubles (sigmas are computed in double precision); the
 * arithmetic is done in float, as the network's data is float32.
 */
public final class Vec {
    private Vec() {
    }

    public static void copy(float[] src, float[] dst) {
        System.arraycopy(src, 0, dst, 0, src.length);
    }

    public static void fill(float[] x, double value) {
        java.util.Arrays.fill(x, (float) value);
    }

    /** x *= a. */
    public static void scale(float[] x, double a) {
        float fa = (float) a;
        for (int i = 0; i < x.length; i++) {
            x[i] *= fa;
        }
    }

    /** y += a x. */
    public static void axpy(double a, float[] x, float[] y) {
        float fa = (float) a;
        for (int i = 0; i < y.length; i++) {
            y[i] += fa * x[i];
        }
    }

    /** out = a x + b y (out may alias x or y). */
    public static void lin(float[] out, double a, float[] x, double b, float[] y) {
        float fa = (float) a, fb = (float) b;
        for (int i = 0; i < out.length; i++) {
            out[i] = fa * x[i] + fb * y[i];
        }
    }

    /** out = a x + b y + c z (out may alias any input). */
    public static void lin(float[] out, double a, float[] x, double b, float[] y, double c, float[] z) {
        float fa = (float) a, fb = (float) b, fc = (float) c;
        for (int i = 0; i < out.length; i++) {
            out[i] = fa * x[i] + fb * y[i] + fc * z[i];
        }
    }

    /** out = a x + b y + c z + d w (out may alias any input). */
    public static void lin(float[] out, double a, float[] x, double b, float[] y, double c, float[] z,
                           double d, float[] w) {
        float fa = (float) a, fb = (float) b, fc = (float) c, fd = (float) d;
        for (int i = 0; i < out.length; i++) {
            out[i] = fa * x[i] + fb * y[i] + fc * z[i] + fd * w[i];
        }
    }

    /** out = sum_k coefficients[k] * xs[k] (out may alias any input); for long multistep histories. */
    public static void lin(float[] out, double[] coefficients, float[][] xs) {
        if (coefficients.length != xs.length) {
            throw new IllegalArgumentException(coefficients.length + " coefficients for " + xs.length + " arrays");
        }
        for (int i = 0; i < out.length; i++) {
            double s = 0;
            for (int k = 0; k < xs.length; k++) {
                s += coefficients[k] * xs[k][i];
            }
            out[i] = (float) s;
        }
    }

    /**
     * The probability-flow ODE derivative dx/dsigma = (x - D(x, sigma)) / sigma (Karras et al. 2022,
     * eq. 3 with sigma(t) = t); k-diffusion's {@code to_d}.
     */
    public static void derivative(float[] out, float[] x, float[] denoised, double sigma) {
        float inv = (float) (1.0 / sigma);
        for (int i = 0; i < out.length; i++) {
            out[i] = (x[i] - denoised[i]) * inv;
        }
    }

    /** Root mean square of x - y. */
    public static double rmsDistance(float[] x, float[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            double d = (double) x[i] - y[i];
            s += d * d;
        }
        return Math.sqrt(s / x.length);
    }

    /**
     * Whether no value is NaN or infinite. Called on every model call's input and output, so written as a
     * branch-free reduction, the largest |v| (NaN wins Math.max, infinity exceeds MAX_VALUE), which the JIT
     * can vectorise, unlike a loop with an early exit.
     */
    public static boolean allFinite(float[] x) {
        float largest = 0;
        for (float v : x) {
            largest = Math.max(largest, Math.abs(v));
        }
        return largest <= Float.MAX_VALUE;
    }
}
