package dev.stepwise.harness.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.harness.ImageSource;
import dev.stepwise.harness.MixtureSource;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.OnnxOptions;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The measurement against answers known in closed form: a single Gaussian with a deliberately misspecified exact
 * denoiser (the curve must hold the formula inside its band, about 95 % of the time), a labelled mixture measured
 * conditionally, and the tiny ONNX fixtures, whose prediction is linear in x.
 */
class ErrorCurvesTest {
    static final double STD = 0.7;

    static MixtureSource gaussian(double... mean) {
        return new MixtureSource("gauss", GaussianMixture.gaussian(mean, STD, 0.002, 80), "gauss@test");
    }

    /** Every level of every K: the closed form inside the band at about 95 % of them, and close to the curve at all. */
    @Test
    void aMisspecifiedGaussianDenoiserHasItsClosedFormErrorInsideTheBand() {
        int levels = 100, covered = 0, total = 0;
        for (double k : new double[] {1, 0.5, 2}) {
            ErrorCurve c = ErrorCurves.mixture(gaussian(0.5, -1, 2, 0), k,
                    new ErrorCurves.Settings(levels, 2000, 11, false, 2), FitProgress.NONE);
            assertEquals(k == 1 ? "gauss" : "gauss (misspecified: std x " + ErrorCurves.plain(k) + ")", c.model());
            assertEquals("unconditional", c.conditioning(), "an unlabelled mixture is measured unconditionally");
            assertEquals(2000, c.samples());
            double[] s = c.sigmas(), m = c.mse(), lo = c.low(), hi = c.high();
            for (int i = 0; i < levels; i++) {
                double exact = ErrorCurves.gaussianMse(s[i], STD, k * STD);
                total++;
                if (lo[i] <= exact && exact <= hi[i]) {
                    covered++;
                }
                // The band's half-width is 1.96 standard errors: 4 of them is a miss no seed should give.
                assertEquals(exact, m[i], 2.1 * (hi[i] - lo[i]), "K " + k + ", sigma " + s[i]);
            }
        }
        // 300 levels at 95 %: 285 expected, standard deviation 3.8; a band twice too wide would cover nearly all.
        assertTrue(covered >= 270 && covered <= 297, covered + " of " + total + " levels covered");
    }

    @Test
    void theClosedFormIsTheExactDenoisersAtKOne() {
        for (double sigma : new double[] {0.01, 0.7, 30}) {
            assertEquals(STD * STD / (STD * STD + sigma * sigma), ErrorCurves.gaussianMse(sigma, STD, STD), 1e-15);
        }
        // A denoiser that assumes std 0 returns the mean: eps_hat = (x - m) / sigma, off by s z / sigma.
        assertEquals(STD * STD / 4, ErrorCurves.gaussianMse(2, STD, 0), 1e-15);
    }

    /**
     * Two labelled Gaussians of the same std: given its label, each draw's exact conditional denoiser is its own
     * component's, so the conditional curve is the single Gaussian's formula; unconditionally the denoiser must also
     * guess the component, which can only add error.
     */
    @Test
    void aLabelledMixtureIsMeasuredGivenEachDrawsLabel() {
        GaussianMixture two = new GaussianMixture(2, List.of(new GaussianMixture.Component(1, new double[] {-1.5, 0}, STD, 0),
                new GaussianMixture.Component(3, new double[] {1.5, 0.5}, STD, 1)), 0.002, 80);
        MixtureSource source = new MixtureSource("two", two, "two@test");
        ErrorCurve cond = ErrorCurves.mixture(source, 2, new ErrorCurves.Settings(40, 4000, 3, false, 2), FitProgress.NONE);
        ErrorCurve uncond = ErrorCurves.mixture(source, 1, new ErrorCurves.Settings(40, 4000, 3, true, 2), FitProgress.NONE);
        assertEquals("class-conditional: each draw's component label", cond.conditioning());
        assertEquals("unconditional", uncond.conditioning());
        double[] s = cond.sigmas();
        for (int i = 0; i < s.length; i++) {
            double exact = ErrorCurves.gaussianMse(s[i], STD, 2 * STD);
            assertEquals(exact, cond.mse()[i], 2.1 * (cond.high()[i] - cond.low()[i]), "sigma " + s[i]);
            assertTrue(uncond.mse()[i] >= ErrorCurves.gaussianMse(s[i], STD, STD) - (uncond.high()[i] - uncond.low()[i]),
                    "sigma " + s[i]);
        }
        GaussianMixture partly = new GaussianMixture(1, List.of(new GaussianMixture.Component(1, new double[] {0}, 1, 0),
                new GaussianMixture.Component(1, new double[] {3}, 1, null)), 0.002, 80);
        String m = assertThrows(IllegalArgumentException.class, () -> ErrorCurves.mixture(new MixtureSource("partly", partly, "k"),
                1, new ErrorCurves.Settings(4, 8, 0, false, 1), FitProgress.NONE)).getMessage();
        assertEquals("partly labels 1 of its 2 components; the class-conditional error needs every one labelled: measure"
                + " the unconditional branch", m);
        ErrorCurves.mixture(new MixtureSource("partly", partly, "k"), 1, new ErrorCurves.Settings(4, 8, 0, true, 1),
                FitProgress.NONE);
    }

    /** Each level has its own seed: workers and the other levels measured change nothing. */
    @Test
    void aLevelsValueDependsOnlyOnTheSeedAndItsTableIndex() {
        MixtureSource g = gaussian(1, 2);
        ErrorCurves.Settings one = new ErrorCurves.Settings(10, 64, 5, false, 1);
        List<Integer> seen = new ArrayList<>();
        ErrorCurve a = ErrorCurves.mixture(g, 2, one, (done, total) -> {
            assertEquals(10, total);
            seen.add(done);
        });
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), seen, "told after each level, in order of completion");
        ErrorCurve b = ErrorCurves.mixture(g, 2, new ErrorCurves.Settings(10, 64, 5, false, 4), FitProgress.NONE);
        assertEquals(a, b);
        ErrorCurve ends = ErrorCurves.mixture(g, 2, new ErrorCurves.Settings(2, 64, 5, false, 3), FitProgress.NONE);
        assertEquals(a.mse()[0], ends.mse()[0], 0);
        assertEquals(a.mse()[9], ends.mse()[1], 0);
        ErrorCurve other = ErrorCurves.mixture(g, 2, new ErrorCurves.Settings(10, 64, 6, false, 1), FitProgress.NONE);
        assertTrue(other.mse()[3] != a.mse()[3], "another seed, other noise");
        assertEquals(1000, ErrorCurves.mixture(g, 1, new ErrorCurves.Settings(0, 2, 0, false, 2), FitProgress.NONE)
                .levels(), "0 levels = every table entry");
    }

    @Test
    void levelIndicesAreEvenlySpacedWithBothEnds() {
        assertArrayEquals(new int[] {0, 999}, ErrorCurves.levelIndices(2, 1000));
        assertArrayEquals(new int[] {0, 333, 666, 999}, ErrorCurves.levelIndices(4, 1000));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, ErrorCurves.levelIndices(0, 5));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, ErrorCurves.levelIndices(5, 5));
        int[] many = ErrorCurves.levelIndices(999, 1000);
        for (int i = 1; i < many.length; i++) {
            assertTrue(many[i] > many[i - 1]);
        }
        assertEquals("levels 1001 is not allowed; the sigma table has 1000 entries, so give 2..1000",
                assertThrows(IllegalArgumentException.class, () -> ErrorCurves.levelIndices(1001, 1000)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ErrorCurves.Settings(1, 8, 0, false, 1));
        assertThrows(IllegalArgumentException.class, () -> new ErrorCurves.Settings(2, 0, 0, false, 1));
        assertThrows(IllegalArgumentException.class, () -> new ErrorCurves.Settings(2, 8, 0, false, 0));
        for (double k : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> ErrorCurves.mixture(gaussian(0), k,
                    new ErrorCurves.Settings(2, 8, 0, false, 1), FitProgress.NONE));
        }
    }

    /** A denoiser that overflows (std x 1e200 squared is infinite) stops the run with one line naming the level. */
    @Test
    void aNonFinitePredictionStopsTheRun() {
        String m = assertThrows(ArithmeticException.class, () -> ErrorCurves.mixture(gaussian(0), 1e200,
                new ErrorCurves.Settings(2, 4, 0, false, 1), FitProgress.NONE)).getMessage();
        assertTrue(m.startsWith("the model's prediction became non-finite (NaN or infinity) at sigma "), m);
    }

    static Path fixture(String name) {
        try {
            return Path.of(ErrorCurvesTest.class.getResource("/fixtures/" + name + "/model.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Random 28x28 images with labels 0..9. */
    static HeldOutImages randomImages(int n, long seed) {
        Random r = new Random(seed);
        byte[] pixels = new byte[n * 784];
        r.nextBytes(pixels);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(10);
        }
        return new HeldOutImages("random test images", new int[] {1, 28, 28}, pixels, labels);
    }

    /**
     * The fixtures' network is out = A x_in + C t + W[y] (A = 0.5, C = 0.001, W[k, p] = 0.01 (k + 1) + 0.0001 p), so
     * eps_hat - eps = a_p + b eps_p per value with a, b known: E MSE = mean_p a_p^2 + b^2 per image, averaged over the
     * images. For eps prediction eps_hat is the network's output (x_in = c_in (x0 + sigma eps)); for flow,
     * eps_hat = x + (1 - s) v with x = (1 - s) x0 + s eps.
     */
    @Test
    void theTinyFixturesErrorIsTheirClosedForm() {
        int n = 24;
        HeldOutImages data = randomImages(n, 9);
        for (String name : new String[] {"tiny-eps", "tiny-flow"}) {
            Path dir = fixture(name);
            ModelConfig config = ModelConfig.read(dir);
            ModelSampling sampling = config.sampling();
            for (boolean unconditional : new boolean[] {false, true}) {
                ErrorCurve c;
                try (ImageSource source = ImageSource.open(dir, null, OnnxOptions.defaults())) {
                    c = ErrorCurves.images(source, data, new ErrorCurves.Settings(7, n, 1, unconditional, 2),
                            FitProgress.NONE);
                }
                assertEquals(name, c.model());
                assertEquals(sampling.describe(), c.sampling());
                assertEquals(unconditional ? "unconditional" : "class-conditional: each image's true label", c.conditioning());
                assertTrue(c.data().startsWith("random test images; the first 24 of its 24 images"), c.data());
                float[] x0 = data.values(n, config.pixelRange());
                double[] s = c.sigmas();
                for (int l = 0; l < s.length; l++) {
                    double sigma = s[l], t = sampling.timestep(sigma), expected = 0;
                    boolean flow = sampling.isFlow();
                    double cin = sampling.inputScale(sigma);
                    double b = flow ? sigma + (1 - sigma) * 0.5 * sigma - 1 : 0.5 * cin * sigma - 1;
                    for (int i = 0; i < n; i++) {
                        double sum = 0;
                        for (int p = 0; p < 784; p++) {
                            double w = unconditional ? 0 : 0.01 * (data.label(i) + 1) + 0.0001 * p;
                            double v = x0[i * 784 + p];
                            double a = flow ? (1 - sigma) * v + (1 - sigma) * (0.5 * (1 - sigma) * v + 0.001 * t + w)
                                    : 0.5 * cin * v + 0.001 * t + w;
                            sum += a * a;
                        }
                        expected += sum / 784 + b * b;
                    }
                    expected /= n;
                    String where = name + (unconditional ? " unconditional" : "") + " at sigma " + sigma;
                    if (flow && l == s.length - 1) {
                        assertEquals(1.0, sigma, 0, where);
                        assertEquals(0, c.mse()[l], 0, "at s = 1 eps_hat = x exactly: " + where);
                        assertEquals(0, c.high()[l], 0, where);
                    } else {
                        // The band also counts the spread between images, which the expectation holds fixed: it is wide enough.
                        assertTrue(c.low()[l] <= expected && expected <= c.high()[l], where + ": " + expected + " outside ["
                                + c.low()[l] + ", " + c.high()[l] + "]");
                    }
                }
            }
        }
    }

    @Test
    void imageRunsRefuseTooManyImagesAndMissingLabels() {
        Path dir = fixture("tiny-eps");
        HeldOutImages data = randomImages(4, 1);
        HeldOutImages unlabelled = new HeldOutImages("no labels", new int[] {1, 28, 28}, new byte[4 * 784], null);
        try (ImageSource source = ImageSource.open(dir, null, OnnxOptions.defaults())) {
            assertEquals("5 images per level asked for, but random test images has 4; give at most 4",
                    assertThrows(IllegalArgumentException.class, () -> ErrorCurves.images(source, data,
                            new ErrorCurves.Settings(2, 5, 0, false, 1), FitProgress.NONE)).getMessage());
            assertEquals("no labels has no labels, so the class-conditional error cannot be measured; give labels or measure"
                    + " the unconditional branch", assertThrows(IllegalArgumentException.class, () -> ErrorCurves.images(source,
                    unlabelled, new ErrorCurves.Settings(2, 4, 0, false, 1), FitProgress.NONE)).getMessage());
            assertEquals(2, ErrorCurves.images(source, unlabelled, new ErrorCurves.Settings(2, 4, 0, true, 1),
                    FitProgress.NONE).levels());
        }
    }
}
