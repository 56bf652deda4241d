package dev.stepwise.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.metrics.Classifier;
import dev.stepwise.onnx.metrics.FeatureStats;
import dev.stepwise.onnx.metrics.PromptAdherence;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Loads the trained Fashion-MNIST models from the repository's models/ folder (tools/train writes them)
 * and runs one call each. Skipped where the files are absent.
 */
class TrainedModelsTest {
    /** The repository's models/ folder, seen from the module folder Surefire runs in; -Dstepwise.models=DIR overrides. */
    static final Path MODELS = Path.of(System.getProperty("stepwise.models", "../models"));

    @ParameterizedTest
    @ValueSource(strings = {"fashion-eps", "fashion-flow"})
    void diffusionModelDenoisesOneBatch(String name) {
        Path dir = MODELS.resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("model.json")) && Files.isRegularFile(dir.resolve("model.onnx")),
                "trained model " + dir + " is absent (tools/train/export_diffusion.py writes it)");
        try (ImageModel m = ImageModel.load(dir)) {
            assertArrayEquals(new int[] {1, 28, 28}, m.model().sampleShape());
            assertEquals(10, m.classes().size());
            Random r = new Random(3);
            double sigma = m.model().sampling().isFlow() ? 0.7 : 2.0;
            float[] x = new float[2 * 784];
            for (int i = 0; i < x.length; i++) {
                // A noisy sample of a blank (all -1) image at this sigma, in the model's own form.
                double x0 = -1, n = r.nextGaussian();
                x[i] = (float) (m.model().sampling().isFlow() ? (1 - sigma) * x0 + sigma * n : x0 + sigma * n);
            }
            Tensor in = Tensor.wrap(x, 2, 1, 28, 28), out = Tensor.zeros(2, 1, 28, 28);
            m.model().denoiser().denoise(in, sigma, List.of(m.prompt("sneaker"), Conditioning.NONE), out);
            for (float v : out.data()) {
                // The x0 estimate of images in [-1, 1] stays near that range.
                assertTrue(Float.isFinite(v) && Math.abs(v) < 3, "denoised value " + v);
            }
        }
    }

    @Test
    void classifierMatchesItsReferenceStatistics() throws IOException {
        Path dir = MODELS.resolve("classifier");
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve(Classifier.FILE))
                        && Files.isRegularFile(dir.resolve(FeatureStats.MEAN_FILE)),
                "trained classifier " + dir + " is absent (tools/train/train_classifier.py writes it)");
        FeatureStats ref = FeatureStats.load(dir);
        try (Classifier c = Classifier.open(dir, OnnxOptions.defaults())) {
            Tensor blank = Tensor.zeros(3, 1, 28, 28);
            Arrays.fill(blank.data(), -1f);
            Classifier.Result r = c.classify(blank);
            assertArrayEquals(new int[] {3, 10}, r.logits().shape());
            assertEquals(ref.dimension(), r.features().rowSize());
        }
    }

    /** Reads a gzipped IDX file of the Fashion-MNIST distribution (header of {@code skip} bytes). */
    private static byte[] idx(Path file, int skip) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            byte[] all = in.readAllBytes();
            return Arrays.copyOfRange(all, skip, all.length);
        }
    }

    @Test
    void classifierReadsRealTestImagesAsInTraining() throws IOException {
        Path dir = MODELS.resolve("classifier");
        Path data = Path.of(System.getenv().getOrDefault("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"));
        Path images = data.resolve("t10k-images-idx3-ubyte.gz"), labels = data.resolve("t10k-labels-idx1-ubyte.gz");
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve(Classifier.FILE)) && Files.isRegularFile(images)
                && Files.isRegularFile(labels), "trained classifier or Fashion-MNIST test set (" + data + ") absent");
        int n = 2000;
        byte[] px = idx(images, 16), lb = idx(labels, 8);
        float[] x = new float[n * 784];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = lb[i] & 0xff;
            for (int p = 0; p < 784; p++) {
                // The training scaling: uint8 / 127.5 - 1.
                x[i * 784 + p] = (px[i * 784 + p] & 0xff) / 127.5f - 1f;
            }
        }
        try (Classifier c = Classifier.open(dir, OnnxOptions.defaults())) {
            Classifier.Result r = c.classify(Tensor.wrap(x, n, 1, 28, 28));
            // The classifier scores about 0.92 on the whole test set; 2000 images give a standard error of 0.006.
            double accuracy = PromptAdherence.score(r.logits(), y);
            assertTrue(accuracy > 0.88, "test accuracy " + accuracy);
        }
    }
}
