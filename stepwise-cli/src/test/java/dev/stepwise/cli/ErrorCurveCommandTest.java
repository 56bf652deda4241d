package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.harness.fit.ErrorCurve;
import dev.stepwise.harness.fit.ErrorCurves;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code stepwise error-curve} on the tiny fixture models (with held-out images made here), on a one-Gaussian
 * mixture whose misspecified error has a closed form, and once on the built-in model with its shipped images; and
 * every kind of bad input: exit code 2, one line, nothing written.
 */
@ExtendWith(FixtureModels.class)
class ErrorCurveCommandTest {
    @TempDir
    Path dir;

    Path images;
    Path labels;
    Path gauss;

    /** A uint8 .npy as numpy's np.save writes it. */
    static void uint8(Path file, String shape, byte[] data) throws IOException {
        String dict = "{'descr': '|u1', 'fortran_order': False, 'shape': " + shape + ", }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] header = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[10 + header.length + data.length];
        System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length, 0}, 0, out, 0, 10);
        System.arraycopy(header, 0, out, 10, header.length);
        System.arraycopy(data, 0, out, 10 + header.length, data.length);
        Files.write(file, out);
    }

    @BeforeEach
    void data() throws IOException {
        byte[] pixels = new byte[6 * 784];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 31 + i / 784);
        }
        images = dir.resolve("images.npy");
        labels = dir.resolve("labels.npy");
        uint8(images, "(6, 28, 28)", pixels);
        uint8(labels, "(6,)", new byte[] {0, 3, 9, 1, 7, 7});
        gauss = dir.resolve("gauss.json");
        Files.writeString(gauss, "{\"dim\": 3, \"components\": [{\"weight\": 1, \"mean\": [0.5, -1, 2], \"std\": 0.7}]}");
    }

    private Cli.Result curve(Path out, String... args) {
        List<String> a = new ArrayList<>(List.of("error-curve", "-o", out.toString(), "--no-progress"));
        a.addAll(List.of(args));
        return Cli.run(a.toArray(String[]::new));
    }

    private static void assertWritten(Path json) throws IOException {
        String stem = json.getFileName().toString().replace(".json", "");
        BufferedImage png = ImageIO.read(json.resolveSibling(stem + ".png").toFile());
        assertTrue(png.getWidth() > 1000, "the plot at 2 pixels per point");
        String svg = Files.readString(json.resolveSibling(stem + ".svg"));
        assertTrue(svg.contains("<svg") && svg.contains("<title>Noise-prediction error vs noise level"), svg.substring(0, 200));
    }

    @Test
    void theTinyEpsModelGivesACurveFileAndItsPlot() throws IOException {
        Path out = dir.resolve("curve.json");
        Cli.Result r = curve(out, "--model", "tiny-eps", "--heldout", images.toString(), "--labels", labels.toString(),
                "--levels", "5", "--images", "4", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertEquals(1, r.out().strip().lines().count(), r.out());
        assertTrue(r.out().startsWith("tiny-eps: 5 levels (sigma 0.02917..14.61) x 4 samples, class-conditional: each image's"
                + " true label: MSE "), r.out());
        assertTrue(r.out().strip().endsWith("-> " + out + ", " + dir.resolve("curve.png") + ", " + dir.resolve("curve.svg")), r.out());
        ErrorCurve c = ErrorCurve.read(out);
        assertEquals("tiny-eps", c.model());
        assertEquals(5, c.levels());
        assertEquals(4, c.samples());
        assertEquals(3, c.seed());
        assertEquals("images.npy; the first 4 of its 6 images at every level, fresh noise at each", c.data());
        assertWritten(out);

        // The same command gives the same bytes, whatever the parallelism.
        Path again = dir.resolve("again.json");
        assertEquals(0, curve(again, "--model", "tiny-eps", "--heldout", images.toString(), "--labels", labels.toString(),
                "--levels", "5", "--images", "4", "--seed", "3", "--parallel", "1").code());
        assertArrayEquals(Files.readAllBytes(out), Files.readAllBytes(again));

        Path uncond = dir.resolve("uncond.json");
        r = curve(uncond, "--model", "tiny-eps", "--heldout", images.toString(), "--levels", "2", "--images", "6",
                "--unconditional");
        assertEquals(0, r.code(), r.err());
        assertEquals("unconditional", ErrorCurve.read(uncond).conditioning());
    }

    /** A flow model's s = 1 is measured exactly: eps_hat = x there, MSE 0, and the plot leaves that level out. */
    @Test
    void theTinyFlowModelsLastLevelHasNoError() throws IOException {
        Path out = dir.resolve("flow.json");
        Cli.Result r = curve(out, "--model", "tiny-flow", "--heldout", images.toString(), "--labels", labels.toString(),
                "--levels", "4", "--images", "6");
        assertEquals(0, r.code(), r.err());
        ErrorCurve c = ErrorCurve.read(out);
        assertEquals(1.0, c.sigmas()[3], 0);
        assertEquals(0, c.mse()[3], 0);
        assertEquals(0, c.mseAt(1), 0);
        assertTrue(c.mse()[0] > 0);
        assertWritten(out);
    }

    /** The misspecified single Gaussian: the curve's band holds the closed form at nearly every level. */
    @Test
    void aMixtureCurveMatchesTheClosedFormOfItsMisspecification() throws IOException {
        for (String k : new String[] {"1", "0.5"}) {
            Path out = dir.resolve("gauss-" + k + ".json");
            Cli.Result r = curve(out, "--model", "gmm:" + gauss, "--misspecify", k, "--levels", "40", "--images", "2000");
            assertEquals(0, r.code(), r.err());
            ErrorCurve c = ErrorCurve.read(out);
            assertEquals(k.equals("1") ? "gauss" : "gauss (misspecified: std x 0.5)", c.model());
            assertEquals("continuous VE (EDM), sigma 0.002..80.0", c.sampling());
            int covered = 0;
            for (int i = 0; i < c.levels(); i++) {
                double exact = ErrorCurves.gaussianMse(c.sigmas()[i], 0.7, 0.7 * Double.parseDouble(k));
                covered += c.low()[i] <= exact && exact <= c.high()[i] ? 1 : 0;
            }
            assertTrue(covered >= 34, covered + " of 40 levels covered (38 expected)");
            assertWritten(out);
        }
    }

    /** The built-in model on its shipped held-out images (a few levels and images: seconds). */
    @Test
    void theBuiltInModelIsMeasuredOnItsShippedImages() throws IOException {
        Path models = Jvm.HOME.resolve("models");
        Assumptions.assumeTrue(Files.isRegularFile(models.resolve("fashion-eps").resolve("heldout.json")), "models/ is absent");
        Path out = dir.resolve("eps.json");
        Cli.Result r = curve(out, "--model", models.resolve("fashion-eps").toString(), "--levels", "3", "--images", "8");
        assertEquals(0, r.code(), r.err());
        ErrorCurve c = ErrorCurve.read(out);
        assertEquals("fashion-eps", c.model());
        assertEquals("Fashion-MNIST test split (t10k), its first 1000 images; the first 8 of its 1000 images at every level,"
                + " fresh noise at each", c.data());
        // A trained model: far below the trivial eps_hat = 0 (MSE 1) at every level, and much better at high noise.
        for (double m : c.mse()) {
            assertTrue(m > 0 && m < 0.8, "MSE " + m);
        }
        assertTrue(c.mse()[2] < c.mse()[0] / 10, java.util.Arrays.toString(c.mse()));
    }

    @Test
    void helpSaysWhatItMeasuresAndWhatTheDefaultCosts() {
        Cli.Result r = Cli.run("error-curve", "--help");
        assertEquals(0, r.code());
        assertEquals("", r.err(), "picocli formats the texts without a warning");
        String help = r.out().replaceAll("\\s+", " ");
        for (String s : new String[] {"--misspecify", "--heldout", "--levels", "Default: 256", "Time: the defaults", "95 % band"}) {
            assertTrue(help.contains(s), s + " in " + help);
        }
        assertTrue(Cli.run("--help").out().contains("error-curve"));
    }

    /** The cases, with DIR/ standing for the test's folder (made by {@link #data}). */
    static Stream<Arguments> badInput() {
        String img = "DIR/images.npy", lab = "DIR/labels.npy", g = "gmm:DIR/gauss.json";
        String floats = "DIR/floats.npy", wrong = "DIR/wrong.npy", notNpy = "DIR/text.npy";
        return Stream.of(
                Arguments.of("--model 'nope' is not a model; available models: tiny-eps, tiny-flow", List.of("--model", "nope")),
                Arguments.of("model spec 'DIR/none.json' does not exist", List.of("--model", "gmm:DIR/none.json")),
                Arguments.of("--levels 1 is not allowed; the model's sigma table has 1000 entries, so give 2..1000",
                        List.of("--model", g, "--levels", "1")),
                Arguments.of("--levels 1001 is not allowed; the model's sigma table has 1000 entries, so give 2..1000",
                        List.of("--model", "tiny-eps", "--heldout", img, "--labels", lab, "--levels", "1001")),
                Arguments.of("--images 0 is not allowed; give 1 or more samples per level", List.of("--model", g, "--images", "0")),
                Arguments.of("--images 7 is more than the 6 held-out images of images.npy; give at most 6",
                        List.of("--model", "tiny-eps", "--heldout", img, "--labels", lab, "--images", "7")),
                Arguments.of("--misspecify 0.0 is not allowed; give a finite factor K > 0 (1 = the exact denoiser)",
                        List.of("--model", g, "--misspecify", "0")),
                Arguments.of("--misspecify -2.0 is not allowed", List.of("--model", g, "--misspecify", "-2")),
                Arguments.of("--misspecify NaN is not allowed", List.of("--model", g, "--misspecify", "NaN")),
                Arguments.of("--misspecify 1.0E31 makes a std of 6.9", List.of("--model", g, "--misspecify", "1e31")),
                Arguments.of("--misspecify is for mixtures (gmm:SPEC.json), whose exact denoiser it alters; tiny-eps is an image"
                        + " model", List.of("--model", "tiny-eps", "--heldout", img, "--labels", lab, "--misspecify", "2")),
                Arguments.of("--heldout is for image models; a mixture's samples are drawn from it",
                        List.of("--model", g, "--heldout", img)),
                Arguments.of("--labels goes with --heldout FILE.npy (the images it labels)",
                        List.of("--model", "tiny-eps", "--labels", lab)),
                Arguments.of("model tiny-eps (", List.of("--model", "tiny-eps")),
                Arguments.of("images DIR/missing.npy does not exist", List.of("--model", "tiny-eps", "--heldout", "DIR/missing.npy")),
                Arguments.of(notNpy + " is not a .npy file (bad magic)", List.of("--model", "tiny-eps", "--heldout", notNpy)),
                Arguments.of(floats + " holds dtype <f4; expected uint8 (|u1)", List.of("--model", "tiny-eps", "--heldout", floats)),
                Arguments.of(wrong + " has shape [2, 14, 56]; tiny-eps needs uint8 images",
                        List.of("--model", "tiny-eps", "--heldout", wrong)),
                Arguments.of("the held-out images images.npy have no labels; give --labels FILE.npy, or measure --unconditional",
                        List.of("--model", "tiny-eps", "--heldout", img, "--images", "6")),
                Arguments.of("--parallel -1 is not allowed", List.of("--model", g, "--parallel", "-1")),
                Arguments.of("--threads -1 is not allowed", List.of("--model", "tiny-eps", "--heldout", img, "--labels", lab,
                        "--images", "6", "--threads", "-1")),
                Arguments.of("--images 2000000 is over the limit of 1000000 samples per level; raise it with --limit batch=2000000",
                        List.of("--model", g, "--images", "2000000")),
                Arguments.of("--limit steps=5: no such limit here; allowed: batch, threads", List.of("--model", g, "--limit", "steps=5")),
                Arguments.of("Unknown options: '--batch', '3'", List.of("--model", g, "--batch", "3")));
    }

    @ParameterizedTest
    @MethodSource("badInput")
    void badInputIsOneLineExitTwoAndNothingWritten(String expected, List<String> args) throws IOException {
        Npy.write(Tensor.zeros(2, 28, 28), dir.resolve("floats.npy"));
        uint8(dir.resolve("wrong.npy"), "(2, 14, 56)", new byte[2 * 784]);
        Files.writeString(dir.resolve("text.npy"), "hello");
        Path out = dir.resolve("bad.json");
        String d = dir.toString();
        Cli.Result r = curve(out, args.stream().map(a -> a.replace("DIR", d)).toArray(String[]::new));
        expected = expected.replace("DIR", d);
        assertEquals(2, r.code(), r.err() + r.out());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().startsWith("stepwise error-curve: "), r.err());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in: " + r.err());
        assertEquals("", r.out());
        for (String f : new String[] {"bad.json", "bad.png", "bad.svg"}) {
            assertFalse(Files.exists(dir.resolve(f)), f + " must not be written");
        }
    }

    @Test
    void badOutputsAreRefusedBeforeAnythingRuns() throws IOException {
        Files.createDirectory(dir.resolve("taken.svg"));
        for (String[] c : new String[][] {{"curve.txt", "--out '" + dir.resolve("curve.txt") + "' must name a .json file"},
                {"missing/curve.json", "the folder " + dir.resolve("missing") + " does not exist"},
                {"taken.json", "--out (its plot) '" + dir.resolve("taken.svg") + "' is a folder"}}) {
            Path out = dir.resolve(c[0]);
            Cli.Result r = curve(out, "--model", "gmm:" + gauss, "--levels", "2", "--images", "2");
            assertEquals(2, r.code(), r.err());
            assertEquals(1, r.errLines(), r.err());
            assertTrue(r.err().contains(c[1]), r.err());
        }
        assertFalse(Files.exists(dir.resolve("taken.json")), "no curve without its plot");
        assertFalse(Files.exists(dir.resolve("taken.png")));
    }
}
