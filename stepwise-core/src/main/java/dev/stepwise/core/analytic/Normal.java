package dev.stepwise.core.analytic;

/** The standard normal distribution function, to double precision. */
public final class Normal {
    private Normal() {
    }

    /** Phi(z) = erfc(-z / sqrt 2) / 2. */
    public static double cdf(double z) {
        return 0.5 * erfc(-z / Math.sqrt(2));
    }

    /**
     * erfc(x) with relative error below 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit, erfcc);
     * adequate for the statistical tests it serves.
     */
    public static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
