package dev.stepwise.core.measure;

/** Observed order of convergence from errors at increasing step counts. */
public final class ConvergenceOrder {
    private ConvergenceOrder() {
    }

    /** Least-squares slope of -log(error) against log(steps): p in error ~ C N^-p. */
    public static double slope(int[] steps, double[] errors) {
        int n = steps.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += Math.log(steps[i]);
            my += -Math.log(errors[i]);
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0;
        for (int i = 0; i < n; i++) {
            double dx = Math.log(steps[i]) - mx;
            sxy += dx * (-Math.log(errors[i]) - my);
            sxx += dx * dx;
        }
        return sxy / sxx;
    }

    /** log(e_k / e_{k+1}) / log(N_{k+1} / N_k) for each successive pair. */
    public static double[] successive(int[] steps, double[] errors) {
        double[] p = new double[steps.length - 1];
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.log(errors[i] / errors[i + 1]) / Math.log((double) steps[i + 1] / steps[i]);
        }
        return p;
    }
}
