package dev.stepwise.core.measure;

import dev.stepwise.core.sampling.SamplerInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures a deterministic sampler's order of accuracy on the closed-form Gaussian problem
 * ({@link ClosedFormGaussian}): data N(mu, s^2 I) with mu = (1, -2, 0.5), s = 0.5, d = 3, 1024 fixed starting
 * rows at sigma_max = 80, walked down a Karras (rho = 7) list to sigma_end = 0.05 WITHOUT the final step onto 0
 * (that step is a special single-call / denoised step in most samplers, and the posterior mean at 0 is not the
 * ODE endpoint).
 *
 * <p>Step counts run over N_k = round(8 * 2^(k/2)) up to 724. The error used is the discretisation error with
 * per-value float32 rounding averaged out ({@link ClosedFormGaussian.Error#scalar()}); the fitted window is N, 2N,
 * 4N, 8N, the finest such window whose smallest error is still {@link #ERROR_FLOOR} or more. Two rounding levels
 * bound how fine that can go: per-value rounding, averaged to about 1e-8 here (residual ~5e-7 / sqrt(3072)); and
 * rounding of the step coefficients to float, which is common to all values and so is not averaged out: it walks
 * like sqrt(N) and reached about 4e-7 at 1024 steps for dpmpp_2m (lms, whose combination is summed in double,
 * stays near 1e-8). Stopping at 724 steps and 1e-7 keeps both under about 10% of the errors fitted, and taking
 * the finest usable window puts the fit as deep into the asymptotic regime as float32 allows.
 */
public final class OrderMeasurement {
    public static final double SIGMA_MAX = 80;
    public static final double SIGMA_END = 0.05;
    public static final double[] MEAN = {1, -2, 0.5};
    public static final double STD = 0.5;
    public static final int ROWS = 1024;
    /** Smallest error a fit may use (see the class comment). */
    public static final double ERROR_FLOOR = 1e-7;
    /** Largest rounding residual accepted (it grows like sqrt(steps) and stays below 1e-6 up to 1024 steps). */
    public static final double MAX_RESIDUAL = 1e-5;

    private OrderMeasurement() {
    }

    /** One step count's errors. */
    public record Point(int steps, ClosedFormGaussian.Error error) {
    }

    /**
     * The fitted order, the window it was fitted on, every measured point, and the table for the test output.
     */
    public record Result(double order, int[] window, double[] windowErrors, double[] successive, List<Point> points,
                         String table) {
        /**
         * Whether every run was the scalar map x - mu -> R (x - mu) that a solver of this linear ODE gives (rounding
         * residual below {@link #MAX_RESIDUAL}); false for a non-linear error, or noise left in the run.
         */
        public boolean linear() {
            return points.stream().allMatch(p -> p.error().residual() < MAX_RESIDUAL);
        }
    }

    public static Result measure(SamplerInfo info, Map<String, ?> parameters) {
        return measure(info, parameters, false);
    }

    /**
     * As {@link #measure(SamplerInfo, Map)}; with {@code alternating}, every odd interior sigma is moved a third of
     * the way to the next one in the Karras variable sigma^(1/7), so that successive steps alternate in length
     * (ratio about 2 and 1/2) and never become uniform: a multistep method whose step-ratio terms are wrong keeps
     * its order on smooth lists, where those ratios tend to 1, but loses it here (dpmpp_2m with r fixed at 1
     * measured 2.04 on the smooth list and 0.96 on this one). The pattern is anchored at the end (the moved sigmas
     * are the second-to-last, the fourth-to-last, ...), so the last step is the short one (2/3 of its Karras
     * length) at every step count: counted from the start, it was short for even counts and long (4/3) for odd
     * ones, and a sampler whose final step is of lower order (uni_pc's lower_order_final ends with a first-order
     * step) then had an error constant 4 times larger at odd counts; the window 91, 181, 362, 724 mixes both and
     * measured uni_pc at 2.53 (successive 2.13, 3.24, 1.97) where it is of order 2.
     */
    public static Result measure(SamplerInfo info, Map<String, ?> parameters, boolean alternating) {
        ClosedFormGaussian problem = new ClosedFormGaussian(MEAN, STD);
        float[] start = Runs.startAt(MEAN, SIGMA_MAX, ROWS, 7);
        List<Point> points = new ArrayList<>();
        for (int k = 0; k <= 13; k++) {
            int n = (int) Math.round(8 * Math.pow(2, k / 2.0));
            double[] sigmas = Runs.karrasWithoutZero(SIGMA_END, SIGMA_MAX, n);
            if (alternating) {
                sigmas = alternate(sigmas);
            }
            Runs.Result run = Runs.run(info, parameters, problem.model(), start, sigmas, 0);
            points.add(new Point(n, problem.error(start, SIGMA_MAX, run.x(), SIGMA_END)));
        }
        int last = -1;
        for (int k = 0; k + 6 < points.size(); k++) {
            boolean usable = true;
            for (int j = k; j <= k + 6; j += 2) {
                usable &= points.get(j).error().scalar() >= ERROR_FLOOR;
            }
            if (usable) {
                last = k;
            }
        }
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "%s %s%s: errors vs the closed-form ODE solution%n",
                info.name(), parameters.isEmpty() ? "" : parameters.toString(), alternating ? " (alternating steps)" : ""));
        table.append(String.format(Locale.ROOT, "%6s %12s %12s %12s%n", "steps", "max-abs", "discretis.", "rounding"));
        for (Point p : points) {
            table.append(String.format(Locale.ROOT, "%6d %12.4e %12.4e %12.4e%n", p.steps(), p.error().maxAbs(),
                    p.error().scalar(), p.error().residual()));
        }
        if (last < 0) {
            table.append("no window of 4 step counts has all errors above ").append(ERROR_FLOOR).append('\n');
            return new Result(Double.NaN, new int[0], new double[0], new double[0], points, table.toString());
        }
        int[] window = new int[4];
        double[] errors = new double[4];
        for (int j = 0; j < 4; j++) {
            window[j] = points.get(last + 2 * j).steps();
            errors[j] = points.get(last + 2 * j).error().scalar();
        }
        double order = ConvergenceOrder.slope(window, errors);
        double[] successive = ConvergenceOrder.successive(window, errors);
        table.append(String.format(Locale.ROOT, "window %s: successive orders %s, least-squares order %.3f%n",
                java.util.Arrays.toString(window), format(successive), order));
        return new Result(order, window, errors, successive, points, table.toString());
    }

    static double[] alternate(double[] sigmas) {
        double[] out = sigmas.clone();
        for (int i = sigmas.length - 2; i >= 1; i -= 2) {
            double u = Math.pow(sigmas[i], 1 / 7.0), next = Math.pow(sigmas[i + 1], 1 / 7.0);
            out[i] = Math.pow(u + (next - u) / 3, 7);
        }
        return out;
    }

    private static String format(double[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", v[i]));
        }
        return b.append(']').toString();
    }
}
