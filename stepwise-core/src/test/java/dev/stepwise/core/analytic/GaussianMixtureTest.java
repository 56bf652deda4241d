package dev.stepwise.core.analytic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.tensor.Tensor;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The analytic mixture against the mathematics it claims: Tweedie's formula D(x) = x + sigma^2 grad log
 * p_sigma(x) (Efron 2011; Karras et al. 2022 eq. 3) with the gradient taken by finite differences of the
 * exact density; exact samples with the exact mean and covariance; label conditioning.
 */
class GaussianMixtureTest {
    static final GaussianMixture.Component A = new GaussianMixture.Component(0.5, new double[] {-3, 0}, 0.4, 0);
    static final GaussianMixture.Component B = new GaussianMixture.Component(0.25, new double[] {3, 1}, 0.7, 1);
    static final GaussianMixture.Component C = new GaussianMixture.Component(1.0, new double[] {0, 4}, 0.5, 1);
    static final GaussianMixture.Component U = new GaussianMixture.Component(0.25, new double[] {1, -4}, 1.0, null);

    static GaussianMixture mixture() {
        return new GaussianMixture(2, List.of(A, B, C, U), 0.002, 80);
    }

    /** Tweedie: the posterior mean equals x + sigma^2 grad log p_sigma(x); central differences, h = 1e-4. */
    @Test
    void denoiserIsTweedieOfTheDensity() {
        GaussianMixture gm = mixture();
        TorchGenerator g = new TorchGenerator(11);
        double h = 1e-4;
        for (double sigma : new double[] {0.05, 0.3, 1, 3, 20}) {
            for (Conditioning c : new Conditioning[] {Conditioning.NONE, Conditioning.label(1, 2)}) {
                double[][] xs = gm.sample(20, sigma, c, g);
                Tensor x = Tensor.zeros(xs.length, 2), out = Tensor.zeros(xs.length, 2);
                for (int i = 0; i < xs.length; i++) {
                    x.data()[2 * i] = (float) xs[i][0];
                    x.data()[2 * i + 1] = (float) xs[i][1];
                }
                gm.denoise(x, sigma, Collections.nCopies(xs.length, c), out);
                for (int i = 0; i < xs.length; i++) {
                    double[] p = {x.data()[2 * i], x.data()[2 * i + 1]};
                    for (int j = 0; j < 2; j++) {
                        double[] plus = p.clone(), minus = p.clone();
                        plus[j] += h;
                        minus[j] -= h;
                        double grad = (gm.logDensity(plus, sigma, c) - gm.logDensity(minus, sigma, c)) / (2 * h);
                        double tweedie = p[j] + sigma * sigma * grad;
                        // Central-difference error O(h^2 f''') plus the float32 output of the denoiser.
                        double tol = 1e-6 * (1 + Math.abs(tweedie)) + 1e-7 * sigma * sigma * (1 + Math.abs(grad));
                        assertEquals(tweedie, out.data()[2 * i + j], tol, "sigma " + sigma + " cond " + c + " row " + i);
                    }
                }
            }
        }
    }

    /** Exact samples: sample mean and covariance within 5 standard errors of the exact moments. */
    @Test
    void exactSamplesHaveTheExactMoments() {
        GaussianMixture gm = mixture();
        int n = 40_000;
        for (Conditioning c : new Conditioning[] {Conditioning.NONE, Conditioning.label(0, 2), Conditioning.label(1, 2)}) {
            double[][] xs = gm.sample(n, 0, c, new TorchGenerator(5));
            double[] mu = gm.mean(c);
            double[][] cov = gm.covariance(c);
            double[] m = new double[2];
            for (double[] r : xs) {
                m[0] += r[0] / n;
                m[1] += r[1] / n;
            }
            for (int a = 0; a < 2; a++) {
                assertEquals(mu[a], m[a], 5 * Math.sqrt(cov[a][a] / n), "mean " + a + " under " + c);
                for (int b = 0; b < 2; b++) {
                    double s = 0, s2 = 0;
                    for (double[] r : xs) {
                        double v = (r[a] - mu[a]) * (r[b] - mu[b]);
                        s += v;
                        s2 += v * v;
                    }
                    double mean = s / n, var = s2 / n - mean * mean;
                    assertEquals(cov[a][b], mean, 5 * Math.sqrt(var / n), "cov " + a + b + " under " + c);
                }
            }
        }
    }

    /** The exact moments against the component formulas written out here. */
    @Test
    void exactMomentsMatchTheComponentFormulas() {
        GaussianMixture gm = mixture();
        // Unconditional weights 0.5, 0.25, 1, 0.25 over a total of 2.
        double[] w = {0.25, 0.125, 0.5, 0.125};
        double[][] m = {{-3, 0}, {3, 1}, {0, 4}, {1, -4}};
        double[] var = {0.16, 0.49, 0.25, 1.0};
        double[] mu = new double[2];
        for (int k = 0; k < 4; k++) {
            mu[0] += w[k] * m[k][0];
            mu[1] += w[k] * m[k][1];
        }
        assertEquals(mu[0], gm.mean(Conditioning.NONE)[0], 1e-15);
        assertEquals(mu[1], gm.mean(Conditioning.NONE)[1], 1e-15);
        double[][] cov = gm.covariance(Conditioning.NONE);
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 2; b++) {
                double e = 0;
                for (int k = 0; k < 4; k++) {
                    e += w[k] * ((a == b ? var[k] : 0) + (m[k][a] - mu[a]) * (m[k][b] - mu[b]));
                }
                assertEquals(e, cov[a][b], 1e-13);
            }
        }
        // Label 1: components B and C only, weights 0.25 : 1.
        double[] m1 = gm.mean(Conditioning.label(1, 2));
        assertEquals((0.25 * 3 + 1.0 * 0) / 1.25, m1[0], 1e-15);
        assertEquals((0.25 * 1 + 1.0 * 4) / 1.25, m1[1], 1e-15);
    }

    @Test
    void conditioningOnALabelRestrictsToItsComponents() {
        GaussianMixture gm = mixture();
        double[] w0 = gm.weightsFor(Conditioning.label(0, 2));
        double[] w1 = gm.weightsFor(Conditioning.label(1, 2));
        assertEquals(1.0, w0[0], 0.0);
        assertEquals(0.0, w0[1] + w0[2] + w0[3], 0.0);
        assertEquals(0.2, w1[1], 1e-15);
        assertEquals(0.8, w1[2], 1e-15);
        assertEquals(0.0, w1[0] + w1[3], 0.0);
        // Mixed class weights (A1111-style "(a:1), (b:3)") re-weight components by their label's weight.
        double[] wm = gm.weightsFor(Conditioning.classes(1, 3));
        assertEquals(0.5 / (0.5 + 3 * 1.25), wm[0], 1e-15);
        assertEquals(0.0, wm[3], 0.0, "unlabelled components drop out under any class conditioning");
        // Every label-1 sample is near B or C: within 6 std of one of their means.
        for (double[] r : gm.sample(2000, 0, Conditioning.label(1, 2), new TorchGenerator(3))) {
            double db = Math.hypot(r[0] - 3, r[1] - 1) / 0.7, dc = Math.hypot(r[0], r[1] - 4) / 0.5;
            assertTrue(Math.min(db, dc) < 6, "sample " + r[0] + "," + r[1]);
        }
        assertEquals(2, gm.labelCount());
        // The label-0 denoiser of a far point still returns component A's posterior (it is the only one).
        Tensor x = Tensor.wrap(new float[] {10, 10}, 1, 2), out = Tensor.zeros(1, 2);
        gm.denoise(x, 1.0, List.of(Conditioning.label(0, 2)), out);
        double shrink = 0.16 / (0.16 + 1);
        assertEquals(-3 + shrink * 13, out.data()[0], 1e-5);
        assertEquals(shrink * 10, out.data()[1], 1e-5);
    }

    @Test
    void badSpecsGiveClearMessages() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new GaussianMixture.Component(-1, new double[] {0}, 1, null));
        assertEquals("component weight -1.0 must be finite and > 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new GaussianMixture.Component(1, new double[] {0}, -0.5, null));
        assertEquals("component std -0.5 must be finite and >= 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GaussianMixture(3, List.of(A), 0.002, 80));
        assertEquals("component 0 has a mean of length 2 but dim is 3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GaussianMixture(2, List.of(), 0.002, 80));
        assertEquals("a mixture needs at least one component", e.getMessage());
        GaussianMixture gm = mixture();
        e = assertThrows(IllegalArgumentException.class, () -> gm.weightsFor(Conditioning.label(4, 5)));
        assertTrue(e.getMessage().startsWith("no mixture component has a label in classes[0.0, 0.0, 0.0, 0.0, 1.0]"),
                e.getMessage());
        assertTrue(e.getMessage().contains("labels present: 0..1"), e.getMessage());
        GaussianMixture plain = GaussianMixture.gaussian(new double[] {0, 0}, 1, 0.002, 80);
        e = assertThrows(IllegalArgumentException.class, () -> plain.weightsFor(Conditioning.label(0, 1)));
        assertTrue(e.getMessage().startsWith("this mixture has no labelled components"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Conditioning.label(2, 2));
        assertEquals("label 2 is outside 0..1", e.getMessage());
    }
}
