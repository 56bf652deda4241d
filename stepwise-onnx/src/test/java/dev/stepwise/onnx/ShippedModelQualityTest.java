package dev.stepwise.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.metrics.Classifier;
import dev.stepwise.onnx.metrics.FeatureStats;
import dev.stepwise.onnx.metrics.FrechetDistance;
import dev.stepwise.onnx.metrics.PromptAdherence;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shipped models meet the built-in model's quality bar: images generated with dpmpp_2m / karras / 20 steps /
 * cfg 3 are classified as their prompted class at least 95 % of the time by the shipped classifier. 10 images per
 * class (seed = class index): tools/train measured 98.9 % (eps) and 99.7 % (flow) on 100 per class (the first,
 * undertrained weights: 96.2 % and 96.8 %, when this bar was 90 %), so with 100 images the bar sits about four
 * standard errors (sqrt(0.989 * 0.011 / 100) = 0.010) below the expected score.
 * The run is deterministic for a given seed, so the test does not flicker.
 */
class ShippedModelQualityTest {
    static final int PER_CLASS = 10;

    @ParameterizedTest
    @ValueSource(strings = {"fashion-eps", "fashion-flow"})
    void generatedImagesAreRecognisedAsTheirPrompt(String name) throws IOException {
        Path dir = TrainedModelsTest.MODELS.resolve(name), classifierDir = TrainedModelsTest.MODELS.resolve("classifier");
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("model.onnx"))
                && Files.isRegularFile(classifierDir.resolve(Classifier.FILE)), "shipped models absent");
        try (ImageModel m = ImageModel.load(dir); Classifier classifier = Classifier.open(classifierDir, OnnxOptions.defaults())) {
            int classes = m.classes().size(), n = classes * PER_CLASS, size = 28 * 28;
            float[] images = new float[n * size];
            int[] prompted = new int[n];
            for (int k = 0; k < classes; k++) {
                SampleResult r = Stepwise.sample(SampleRequest.builder(m.model())
                        .sampler("dpmpp_2m").scheduler("karras").steps(20).cfg(3)
                        .prompt(m.prompt(m.classes().get(k))).seed(k).batch(PER_CLASS).build());
                float[] x = r.samples().data();
                for (int i = 0; i < x.length; i++) {
                    // What an image shows: pixels clipped to the model's [-1, 1] range.
                    images[k * PER_CLASS * size + i] = Math.max(-1f, Math.min(1f, x[i]));
                }
                for (int i = 0; i < PER_CLASS; i++) {
                    prompted[k * PER_CLASS + i] = k;
                }
            }
            Classifier.Result result = classifier.classify(Tensor.wrap(images, n, 1, 28, 28));
            double adherence = PromptAdherence.score(result.logits(), prompted);
            double fd = FrechetDistance.between(FeatureStats.of(result.featureRows()), FeatureStats.load(classifierDir));
            System.out.printf("%s: prompt adherence %.3f, classifier-feature FD %.2f (%d images)%n", name, adherence, fd, n);
            assertTrue(adherence >= 0.95, name + ": prompt adherence " + adherence + " is below the 0.95 bar");
        }
    }
}
