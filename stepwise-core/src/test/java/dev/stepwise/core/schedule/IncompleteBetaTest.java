package dev.stepwise.core.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The Beta CDF and its inverse against closed forms. */
class IncompleteBetaTest {
    private static final double[] XS = {1e-12, 1e-6, 0.001, 0.05, 0.2, 0.37, 0.5, 0.63, 0.8, 0.95, 0.999, 1 - 1e-9};

    @Test
    void logGammaMatchesKnownValues() {
        assertEquals(0, IncompleteBeta.logGamma(1), 1e-14);
        assertEquals(0, IncompleteBeta.logGamma(2), 1e-14);
        assertEquals(Math.log(24), IncompleteBeta.logGamma(5), 1e-13);
        assertEquals(0.5 * Math.log(Math.PI), IncompleteBeta.logGamma(0.5), 1e-14);
        // Gamma(3/2) = sqrt(pi) / 2; Gamma(0.1) = 9.513507698668731836...
        assertEquals(Math.log(Math.sqrt(Math.PI) / 2), IncompleteBeta.logGamma(1.5), 1e-14);
        assertEquals(Math.log(9.513507698668731836), IncompleteBeta.logGamma(0.1), 1e-13);
        // Stirling-size argument: ln 20! = ln Gamma(21).
        double ln20fact = 0;
        for (int k = 2; k <= 20; k++) {
            ln20fact += Math.log(k);
        }
        assertEquals(ln20fact, IncompleteBeta.logGamma(21), 1e-12);
    }

    @Test
    void uniformCaseIsTheIdentity() {
        for (double x : XS) {
            assertEquals(x, IncompleteBeta.regularized(x, 1, 1), 1e-15 + 1e-13 * x);
        }
    }

    @Test
    void aEqualOneIsOneMinusPowerOfOneMinusX() {
        for (double b : new double[] {0.3, 2, 3.5, 17}) {
            for (double x : XS) {
                double expected = -Math.expm1(b * Math.log1p(-x));
                assertEquals(expected, IncompleteBeta.regularized(x, 1, b), 1e-13 * expected + 1e-300, "b=" + b + " x=" + x);
            }
        }
    }

    @Test
    void bEqualOneIsAPowerOfX() {
        for (double a : new double[] {0.4, 2.5, 9}) {
            for (double x : XS) {
                double expected = Math.pow(x, a);
                assertEquals(expected, IncompleteBeta.regularized(x, a, 1), 1e-13 * expected, "a=" + a + " x=" + x);
            }
        }
    }

    @Test
    void arcsineLaw() {
        for (double x : XS) {
            // Above 1/2 through asin(sqrt x) = pi/2 - asin(sqrt(1 - x)), so that the reference keeps its digits.
            double expected = x <= 0.5 ? 2 / Math.PI * Math.asin(Math.sqrt(x)) : 1 - 2 / Math.PI * Math.asin(Math.sqrt(1 - x));
            assertEquals(expected, IncompleteBeta.regularized(x, 0.5, 0.5), 1e-13 * expected, "x=" + x);
        }
    }

    @Test
    void integerShapesAreBinomialTails() {
        // I_x(a, b) = sum_{j=a}^{a+b-1} C(a+b-1, j) x^j (1-x)^(a+b-1-j) for integer a, b.
        int[][] shapes = {{2, 3}, {5, 7}, {1, 12}, {12, 1}, {30, 20}};
        for (int[] ab : shapes) {
            int n = ab[0] + ab[1] - 1;
            for (double x : new double[] {0.01, 0.2, 0.5, 0.6, 0.9}) {
                double sum = 0;
                for (int j = ab[0]; j <= n; j++) {
                    sum += binomial(n, j) * Math.pow(x, j) * Math.pow(1 - x, n - j);
                }
                assertEquals(sum, IncompleteBeta.regularized(x, ab[0], ab[1]), 1e-13 + 1e-12 * sum,
                        "a=" + ab[0] + " b=" + ab[1] + " x=" + x);
            }
        }
    }

    @Test
    void symmetricShapesHaveMedianOneHalfAndReflect() {
        for (double a : new double[] {0.1, 0.6, 3, 40}) {
            assertEquals(0.5, IncompleteBeta.regularized(0.5, a, a), 1e-14, "a=" + a);
        }
        // Away from the ends: there, rounding 1 - x alone moves I by more than 1e-14.
        for (double x : new double[] {0.001, 0.05, 0.2, 0.37, 0.5, 0.63, 0.8, 0.95, 0.999}) {
            double sum = IncompleteBeta.regularized(x, 0.6, 2.7) + IncompleteBeta.regularized(1 - x, 2.7, 0.6);
            assertEquals(1, sum, 1e-14);
        }
    }

    @Test
    void inverseMatchesClosedForms() {
        double[] ps = {1e-14, 1e-9, 1e-4, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1 - 1e-6};
        for (double p : ps) {
            // Arcsine: x = sin^2(pi p / 2).
            double s = Math.sin(Math.PI * p / 2);
            assertEquals(s * s, IncompleteBeta.inverse(p, 0.5, 0.5), 1e-13 * s * s, "arcsine p=" + p);
            // a = 1: x = 1 - (1 - p)^(1/b), written without cancellation.
            double b = 3.5;
            double x1 = -Math.expm1(Math.log1p(-p) / b);
            assertEquals(x1, IncompleteBeta.inverse(p, 1, b), 1e-13 * x1, "a=1 p=" + p);
            // b = 1: x = p^(1/a).
            double a = 0.6;
            assertEquals(Math.pow(p, 1 / a), IncompleteBeta.inverse(p, a, 1), 1e-13 * Math.pow(p, 1 / a), "b=1 p=" + p);
            // Uniform.
            assertEquals(p, IncompleteBeta.inverse(p, 1, 1), 1e-14 * p + 1e-16, "uniform p=" + p);
        }
        assertEquals(0, IncompleteBeta.inverse(0, 0.6, 0.6));
        assertEquals(1, IncompleteBeta.inverse(1, 0.6, 0.6));
    }

    @Test
    void inverseRoundTripsForTheSchedulerShape() {
        for (int i = 0; i <= 1000; i++) {
            double p = i / 1000.0;
            double x = IncompleteBeta.inverse(p, 0.6, 0.6);
            assertEquals(p, IncompleteBeta.regularized(x, 0.6, 0.6), 1e-14, "p=" + p);
            // Symmetric shape: the quantile of 1 - p is 1 minus the quantile of p.
            assertEquals(1 - x, IncompleteBeta.inverse(1 - p, 0.6, 0.6), 1e-14, "p=" + p);
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> IncompleteBeta.regularized(0.5, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> IncompleteBeta.regularized(1.5, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> IncompleteBeta.inverse(-0.1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> IncompleteBeta.inverse(0.5, 1, Double.NaN));
    }

    private static double binomial(int n, int k) {
        double c = 1;
        for (int i = 1; i <= k; i++) {
            c = c * (n - k + i) / i;
        }
        return c;
    }
}
