package dev.stepwise.core.measure;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Model;

/**
 * Data N(mu, s^2 I): its exact denoiser is D(x, sigma) = mu + s^2 / (s^2 + sigma^2) (x - mu), so the
 * probability-flow ODE dx/dsigma = (x - D) / sigma = sigma (x - mu) / (s^2 + sigma^2) is linear and solves to
 * x(sigma) - mu = (x(sigma_0) - mu) sqrt((s^2 + sigma^2) / (s^2 + sigma_0^2)). A deterministic sampler's
 * error against this curve is its discretisation error (plus float32 rounding).
 */
public final class ClosedFormGaussian {
    private final double[] mean;
    private final double std;
    private final GaussianMixture mixture;

    public ClosedFormGaussian(double[] mean, double std) {
        this.mean = mean.clone();
        this.std = std;
        this.mixture = GaussianMixture.gaussian(mean, std, GaussianMixture.DEFAULT_SIGMA_MIN, GaussianMixture.DEFAULT_SIGMA_MAX);
    }

    public int dim() {
        return mean.length;
    }

    public Model model() {
        return mixture.model("closed-form gaussian");
    }

    public GaussianMixture mixture() {
        return mixture;
    }

    /** The ODE solution at sigma starting from rows x (batch x dim, row-major) at sigma0. */
    public double[] odeSolution(float[] x, double sigma0, double sigma) {
        double scale = Math.sqrt((std * std + sigma * sigma) / (std * std + sigma0 * sigma0));
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double mu = mean[i % mean.length];
            out[i] = mu + (x[i] - mu) * scale;
        }
        return out;
    }

    /**
     * A run's error against the ODE solution, from rows {@code start} at sigma0 to {@code x} at sigma.
     *
     * <p>For affine D every ODE solver built from x and D (Euler, Runge-Kutta, multistep, exponential integrators)
     * maps x - mu linearly, and as the problem is isotropic, by one scalar: x_N - mu = R_N (x_0 - mu), while the
     * exact flow has R = sqrt((s^2 + sigma^2) / (s^2 + sigma0^2)). So the discretisation error is
     * (R_N - R)(x_0 - mu). Least-squares fitting R_N over all n values averages the per-value float32 rounding down
     * by sqrt(n) (rounding of the step coefficients, shared by all values, stays); the residual orthogonal to
     * x_0 - mu is what per-value rounding (or a non-linear bug) adds.
     *
     * @param maxAbs     max |x - exact| over all values
     * @param scalar     |R_N - R| rms(x_0 - mu): the discretisation error with rounding averaged out
     * @param residual   rms of x - mu - R_N (x_0 - mu): rounding level (zero in exact arithmetic)
     */
    public record Error(double maxAbs, double scalar, double residual) {
    }

    public Error error(float[] start, double sigma0, float[] x, double sigma) {
        double exactR = Math.sqrt((std * std + sigma * sigma) / (std * std + sigma0 * sigma0));
        double num = 0, den = 0;
        for (int i = 0; i < x.length; i++) {
            double mu = mean[i % mean.length];
            num += (x[i] - mu) * (start[i] - mu);
            den += (start[i] - mu) * (start[i] - mu);
        }
        double r = num / den;
        double res = 0;
        for (int i = 0; i < x.length; i++) {
            double mu = mean[i % mean.length];
            double e = x[i] - mu - r * (start[i] - mu);
            res += e * e;
        }
        return new Error(maxAbsError(x, odeSolution(start, sigma0, sigma)), Math.abs(r - exactR) * Math.sqrt(den / x.length),
                Math.sqrt(res / x.length));
    }

    /** Root-mean-square difference between a float result and the exact values. */
    public static double rmsError(float[] x, double[] exact) {
        double e = 0;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - exact[i];
            e += d * d;
        }
        return Math.sqrt(e / x.length);
    }

    /** Largest absolute difference between a float result and the exact values. */
    public static double maxAbsError(float[] x, double[] exact) {
        double e = 0;
        for (int i = 0; i < x.length; i++) {
            e = Math.max(e, Math.abs(x[i] - exact[i]));
        }
        return e;
    }
}
