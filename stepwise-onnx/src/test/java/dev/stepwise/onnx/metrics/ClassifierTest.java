package dev.stepwise.onnx.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.OnnxOptions;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The fixture classifier of tools/fixtures/make_onnx_fixtures.py: features[f] = mean of image rows
 * 7f..7f+6, logits[k] = sum_f features[f] (f + 1)(k - 4.5) + k / 100.
 */
class ClassifierTest {
    static Path dir() {
        try {
            return Path.of(ClassifierTest.class.getResource("/fixtures/tiny-classifier").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Images whose four 7-row bands hold constant values. */
    private static Tensor bands(double[][] values) {
        float[] d = new float[values.length * 784];
        for (int b = 0; b < values.length; b++) {
            for (int i = 0; i < 28; i++) {
                for (int j = 0; j < 28; j++) {
                    d[b * 784 + i * 28 + j] = (float) values[b][i / 7];
                }
            }
        }
        return Tensor.wrap(d, values.length, 1, 28, 28);
    }

    @Test
    void logitsAndFeaturesFollowTheFixtureFormula() {
        double[][] v = {{0.5, -0.25, 1, 0}, {-1, -1, -1, -1}, {0, 0, 0, 1}};
        try (Classifier c = Classifier.open(dir(), OnnxOptions.defaults().withMaxBatch(2))) {
            Classifier.Result r = c.classify(bands(v));
            assertArrayEquals(new int[] {3, 10}, r.logits().shape());
            assertArrayEquals(new int[] {3, 4}, r.features().shape());
            for (int b = 0; b < 3; b++) {
                assertArrayEquals(v[b], r.featureRows()[b], 1e-6);
                for (int k = 0; k < 10; k++) {
                    double want = k / 100.0;
                    for (int f = 0; f < 4; f++) {
                        want += v[b][f] * (f + 1) * (k - 4.5);
                    }
                    assertEquals(want, r.logits().data()[b * 10 + k], 1e-5 + 1e-6 * Math.abs(want)); // float32
                }
            }
            // Row 0: sum_f v_f (f+1) = 0.5 - 0.5 + 3 = 3 > 0, so the largest k wins; row 1: -10 < 0, k = 0;
            // row 2: 4 > 0, k = 9.
            assertArrayEquals(new int[] {9, 0, 9}, r.predictions());
            assertEquals(2.0 / 3, PromptAdherence.score(r.logits(), new int[] {9, 0, 8}), 1e-15);
        }
    }

    @Test
    void referenceStatisticsLoadAtDoublePrecision() throws IOException {
        FeatureStats s = FeatureStats.load(dir());
        assertArrayEquals(new double[] {0.25, -0.5, 1.0, 0.125}, s.mean(), 0);
        assertArrayEquals(new double[] {0, 0, -1, 4}, s.cov()[3], 0);
        assertEquals(0.5, s.cov()[0][1], 0);
        assertEquals(0, FrechetDistance.between(s, s), 1e-12);
    }

    @Test
    void adherenceCountsMatches() {
        assertEquals(0.5, PromptAdherence.score(new int[] {1, 2, 3, 4}, new int[] {1, 0, 3, 0}), 0);
        assertThrows(IllegalArgumentException.class, () -> PromptAdherence.score(new int[] {1}, new int[] {1, 2}));
        assertEquals(2, PromptAdherence.promptedClass(Conditioning.classes(0.5, 0, 1.3, 1)));
        assertEquals(-1, PromptAdherence.promptedClass(Conditioning.classes(0, 0, 0)));
        assertEquals(-1, PromptAdherence.promptedClass(Conditioning.classes(1, 0, 1)));
        Tensor logits = Tensor.wrap(new float[] {0, 2, 2, -1, 5, 1}, 2, 3);
        assertArrayEquals(new int[] {1, 1}, PromptAdherence.argmax(logits));
    }
}
