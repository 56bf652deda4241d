package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.OnnxOptions;
import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import dev.stepwise.onnx.metrics.Classifier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner on the tiny ONNX fixture model: a shared session, the cell's PNG with its infotext, the reference. */
class ImageComparisonTest {
    @TempDir
    Path tmp;

    private static String parameters(Path png) throws Exception {
        try (InputStream in = Files.newInputStream(png); ImageInputStream iis = ImageIO.createImageInputStream(in)) {
            ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
            reader.setInput(iis);
            IIOMetadataNode tree = (IIOMetadataNode) reader.getImageMetadata(0).getAsTree("javax_imageio_png_1.0");
            IIOMetadataNode entry = (IIOMetadataNode) tree.getElementsByTagName("tEXtEntry").item(0);
            assertEquals("parameters", entry.getAttribute("keyword"));
            return entry.getAttribute("value");
        }
    }

    @Test
    void imageCellsWritePngWithInfotextAndMeasureTheReference() throws Exception {
        Path dir = Path.of(getClass().getResource("/fixtures/tiny-eps").toURI());
        try (ImageSource source = ImageSource.open(dir, null, OnnxOptions.defaults())) {
            Plan plan = new Plan("tiny", "tiny-eps", TestPlans.samplers("euler", "dpmpp_2m"),
                    List.of(Plan.SchedulerSpec.of("karras")), List.of(4), List.of(), List.of(3.0),
                    List.of(new Plan.PromptSpec("sneaker", "sandal")), List.of(42L), 1,
                    new Plan.ReferenceSpec("heun", "karras", 8), 4, 2, null, "tiny plan");
            List<CellResult> results = Comparison.run(plan, TestPlans.cells(plan), source, tmp, Comparison.Listener.NONE);
            assertEquals(2, results.size());
            Path refFile = Files.list(tmp.resolve(CellStore.REFERENCES)).filter(p -> p.toString().endsWith(".npy"))
                    .findFirst().orElseThrow();
            Tensor reference = Npy.read(refFile);
            for (CellResult r : results) {
                String sampler = r.cell().config().sampler().name();
                assertEquals("", r.error());
                assertEquals(4, r.nfe());
                assertEquals(4, r.networkCalls(), "cond and uncond batched: one network call per step");
                assertTrue(r.networkSeconds() > 0 && r.networkSeconds() <= r.seconds() && r.seconds() <= r.cellSeconds());
                assertNull(r.features(), "no classifier, no features");
                assertEquals(List.of(CellResult.Metrics.REFERENCE_DISTANCE), List.copyOf(r.metrics().keySet()));

                // The same run made directly (sneaker = class 7, sandal = class 5 of the fixture's ten classes).
                Tensor direct = Stepwise.sample(SampleRequest.builder(source.model(new CallTimer())).sampler(sampler)
                        .scheduler("karras").steps(4).cfg(3).prompt(Conditioning.label(7, 10))
                        .negative(Conditioning.label(5, 10)).seed(42).batch(1).build()).samples();
                Tensor samples = Npy.read(tmp.resolve(r.samples()));
                assertArrayEquals(new int[] {1, 1, 28, 28}, samples.shape());
                assertArrayEquals(direct.data(), samples.data());
                double sum = 0;
                for (int i = 0; i < samples.size(); i++) {
                    double d = (double) samples.data()[i] - reference.data()[i];
                    sum += d * d;
                }
                assertEquals(Math.sqrt(sum / samples.size()), r.metric(CellResult.Metrics.REFERENCE_DISTANCE), 1e-12);

                Path png = tmp.resolve(r.image());
                assertEquals("images/" + r.id() + ".png", r.image());
                BufferedImage img = ImageIO.read(png.toFile());
                assertEquals(Map.of("w", 112, "h", 112), Map.of("w", img.getWidth(), "h", img.getHeight()));
                assertEquals("sneaker\nNegative prompt: sandal\nSteps: 4, Sampler: " + sampler
                        + ", Schedule type: karras, CFG scale: 3, Seed: 42, Size: 28x28, Model: tiny-eps", parameters(png));
            }
        }
    }

    /** On the built-in model with its classifier: adherence, predicted class and features of each cell. */
    @Test
    void builtInModelCellsCarryClassifierFigures() throws Exception {
        Path model = Path.of("..", "models", "fashion-eps"), classifier = Path.of("..", "models", "classifier");
        Assumptions.assumeTrue(Files.isRegularFile(model.resolve("model.onnx"))
                && Files.isRegularFile(classifier.resolve(Classifier.FILE)), "models/ is absent; skipping");
        try (ImageSource source = ImageSource.open(model, classifier, OnnxOptions.defaults())) {
            Plan plan = new Plan("built-in", "fashion-eps", TestPlans.samplers("dpmpp_2m"),
                    List.of(Plan.SchedulerSpec.of("karras")), List.of(20), List.of(), List.of(3.0),
                    List.of(Plan.PromptSpec.of("trouser"), Plan.PromptSpec.of("bag, coat")), List.of(1L), 8, null, 4, 2,
                    null, "built-in plan");
            List<CellResult> results = Comparison.run(plan, TestPlans.cells(plan), source, tmp, Comparison.Listener.NONE);
            for (CellResult r : results) {
                Tensor samples = Npy.read(tmp.resolve(r.samples()));
                Classifier.Result c = source.classifier().classify(samples);
                int[] predicted = c.predictions();
                assertEquals(predicted[0], r.metric(CellResult.Metrics.PREDICTED_CLASS));
                assertEquals(8, r.features().length);
                assertArrayEquals(c.featureRows(), r.features());
                if (r.cell().prompt() == 0) {
                    int hits = 0;
                    for (int p : predicted) {
                        hits += p == 1 ? 1 : 0; // trouser is class 1
                    }
                    assertEquals(hits / 8.0, r.metric(CellResult.Metrics.ADHERENCE));
                    assertTrue(hits >= 6, "a converged trouser prompt at cfg 3 should mostly make trousers: " + hits);
                } else {
                    // Two classes of equal weight: no single class to adhere to.
                    assertTrue(!r.metrics().containsKey(CellResult.Metrics.ADHERENCE), r.metrics().toString());
                }
            }
        }
    }

    /**
     * The key digests the content of the files that decide a result: a moved copy keeps it; one changed byte (the
     * size unchanged, which a key of sizes would miss), the other built-in model's ONNX file (of the same size) or
     * another classifier does not.
     */
    @Test
    void theModelKeyIsTheContentOfItsFiles() throws Exception {
        Path eps = Path.of(getClass().getResource("/fixtures/tiny-eps").toURI());
        Path copy = tmp.resolve("copy");
        Files.createDirectories(copy);
        for (String f : List.of("model.json", "model.onnx")) {
            Files.copy(eps.resolve(f), copy.resolve(f));
        }
        String key = ImageSource.key(ModelConfig.read(eps), eps, null);
        assertTrue(key.startsWith("tiny-eps@"), key);
        assertEquals(key, ImageSource.key(ModelConfig.read(copy), copy, null), "a moved copy keeps its cells");

        byte[] bytes = Files.readAllBytes(eps.resolve("model.onnx"));
        bytes[bytes.length / 2] ^= 1;
        Files.write(copy.resolve("model.onnx"), bytes);
        String flipped = ImageSource.key(ModelConfig.read(copy), copy, null);
        assertNotEquals(key, flipped, "one bit of the weights");

        Path classifier = tmp.resolve("classifier.onnx");
        Files.write(classifier, new byte[] {1, 2, 3});
        String scored = ImageSource.key(ModelConfig.read(eps), eps, classifier);
        assertNotEquals(key, scored, "the classifier decides the cells' adherence and features");
        Files.write(classifier, new byte[] {1, 2, 4});
        assertNotEquals(scored, ImageSource.key(ModelConfig.read(eps), eps, classifier));

        Path builtIn = Path.of("..", "models", "fashion-eps"), other = Path.of("..", "models", "fashion-flow");
        Assumptions.assumeTrue(Files.isRegularFile(builtIn.resolve("model.onnx"))
                && Files.isRegularFile(other.resolve("model.onnx")), "models/ is absent; skipping the swap");
        Path swap = tmp.resolve("swap");
        Files.createDirectories(swap);
        for (String f : List.of("model.json", "model.onnx")) {
            Files.copy(builtIn.resolve(f), swap.resolve(f));
        }
        String before = ImageSource.key(ModelConfig.read(swap), swap, null);
        assertEquals(Files.size(builtIn.resolve("model.onnx")), Files.size(other.resolve("model.onnx")));
        Files.copy(other.resolve("model.onnx"), swap.resolve("model.onnx"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertNotEquals(before, ImageSource.key(ModelConfig.read(swap), swap, null), "other weights of the same size");
    }
}
