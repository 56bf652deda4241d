package dev.stepwise.core.schedule;

/**
 * The regularized incomplete beta function I_x(a, b) (the CDF of the Beta(a, b) distribution) and its
 * inverse in x (the quantile, scipy's {@code beta.ppf}), for the {@code beta} scheduler.
 *
 * <p>I_x is evaluated by its continued fraction (Abramowitz and Stegun 26.5.8, evaluated with the modified
 * Lentz method as in Numerical Recipes 6.4), on the side of the symmetry I_x(a, b) = 1 - I_{1-x}(b, a)
 * where it converges fast. The inverse is Newton's method on I_x - p kept inside a shrinking bracket by
 * bisection, so it always converges; p above 1/2 is solved through the symmetry so that both tails keep
 * their relative precision.
 */
final class IncompleteBeta {
    private static final int MAX_TERMS = 1000;
    private static final double EPS = 1e-16;
    private static final double TINY = 1e-300;

    /** Lanczos coefficients for g = 7, n = 9 (Godfrey's table), relative error about 1e-15. */
    private static final double[] LANCZOS = {
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
        1.5056327351493116e-7
    };

    private IncompleteBeta() {
    }

    /** ln Gamma(z) for z > 0 (Lanczos approximation; reflection below 1/2). */
    static double logGamma(double z) {
        if (!(z > 0)) {
            throw new IllegalArgumentException("logGamma needs z > 0, got " + z);
        }
        if (z < 0.5) {
            // Gamma(z) Gamma(1 - z) = pi / sin(pi z)
            return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
        }
        double x = z - 1;
        double sum = LANCZOS[0];
        for (int i = 1; i < LANCZOS.length; i++) {
            sum += LANCZOS[i] / (x + i);
        }
        double t = x + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
    }

    /** ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b). */
    static double logBeta(double a, double b) {
        return logGamma(a) + logGamma(b) - logGamma(a + b);
    }

    /** I_x(a, b) for a, b > 0 and x in [0, 1]. */
    static double regularized(double x, double a, double b) {
        checkShape(a, b);
        if (!(x >= 0 && x <= 1)) {
            throw new IllegalArgumentException("x = " + x + " must be in [0, 1]");
        }
        if (x == 0 || x == 1) {
            return x;
        }
        if (x > (a + 1) / (a + b + 2)) {
            return 1 - regularized(1 - x, b, a);
        }
        // x^a (1 - x)^b / (a B(a, b)) times the continued fraction 1 / (1 + d1 / (1 + d2 / (1 + ...))).
        double front = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b)) / a;
        return front * continuedFraction(x, a, b);
    }

    /**
     * 1 / (1 + d1 / (1 + d2 / ...)) with d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)) and
     * d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)), by the modified Lentz method.
     */
    private static double continuedFraction(double x, double a, double b) {
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.abs(d) < TINY ? TINY : d);
        double f = d;
        for (int m = 1; m <= MAX_TERMS; m++) {
            int m2 = 2 * m;
            double even = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + even * d;
            d = 1 / (Math.abs(d) < TINY ? TINY : d);
            c = 1 + even / c;
            c = Math.abs(c) < TINY ? TINY : c;
            f *= d * c;
            double odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + odd * d;
            d = 1 / (Math.abs(d) < TINY ? TINY : d);
            c = 1 + odd / c;
            c = Math.abs(c) < TINY ? TINY : c;
            double delta = d * c;
            f *= delta;
            if (Math.abs(delta - 1) < EPS) {
                return f;
            }
        }
        throw new ArithmeticException("incomplete beta continued fraction did not converge for x = " + x
                + ", a = " + a + ", b = " + b);
    }

    /** The x in [0, 1] with I_x(a, b) = p (the Beta(a, b) quantile). */
    static double inverse(double p, double a, double b) {
        checkShape(a, b);
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("probability " + p + " must be in [0, 1]");
        }
        if (p == 0 || p == 1) {
            return p;
        }
        if (p > 0.5) {
            return 1 - inverseLowerHalf(1 - p, b, a);
        }
        return inverseLowerHalf(p, a, b);
    }

    /** Safeguarded Newton for p <= 1/2, converging to full relative precision in x. */
    private static double inverseLowerHalf(double p, double a, double b) {
        double logB = logBeta(a, b);
        // Start from the small-x tail I_x ~ x^a / (a B(a, b)), which is also exact for b = 1.
        double x = Math.exp((Math.log(p) + Math.log(a) + logB) / a);
        if (!(x > 0 && x < 1)) {
            x = 0.5;
        }
        double lo = 0, hi = 1;
        for (int iter = 0; iter < 400; iter++) {
            double f = regularized(x, a, b) - p;
            if (f == 0) {
                return x;
            }
            if (f < 0) {
                lo = x;
            } else {
                hi = x;
            }
            double density = Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - logB);
            double next = x - f / density;
            if (!(next > lo && next < hi)) {
                next = 0.5 * (lo + hi);
            }
            if (Math.abs(next - x) <= 1e-15 * x || next == x) {
                return next;
            }
            x = next;
        }
        return x;
    }

    private static void checkShape(double a, double b) {
        if (!(a > 0 && b > 0) || Double.isInfinite(a) || Double.isInfinite(b)) {
            throw new IllegalArgumentException("Beta shape parameters a = " + a + ", b = " + b
                    + " must be finite and > 0");
        }
    }
}
