package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.harness.fit.ScheduleFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code stepwise optimize-schedule --method vrg} on a measured curve of a one-Gaussian mixture and of the tiny eps
 * fixture: the file it writes, that every command takes it, and bad input (exit 2, one line, nothing written).
 */
@ExtendWith(FixtureModels.class)
class OptimizeScheduleCommandTest {
    @TempDir
    Path dir;

    Path gauss;
    Path gaussCurve;

    @BeforeEach
    void curve() throws IOException {
        gauss = dir.resolve("gauss.json");
        Files.writeString(gauss, "{\"dim\": 3, \"components\": [{\"weight\": 1, \"mean\": [0.5, -1, 2], \"std\": 0.7}]}");
        gaussCurve = dir.resolve("gauss-curve.json");
        Cli.Result r = Cli.run("error-curve", "--model", "gmm:" + gauss, "--misspecify", "1", "--levels", "60",
                "--images", "200", "--no-progress", "-o", gaussCurve.toString());
        assertEquals(0, r.code(), r.err());
    }

    private Cli.Result optimize(Path out, String... args) {
        List<String> a = new ArrayList<>(List.of("optimize-schedule", "-o", out.toString()));
        a.addAll(List.of(args));
        return Cli.run(a.toArray(String[]::new));
    }

    @Test
    void fitsAListThatKeepsItsEndPointsAndRunsEverywhere() throws IOException {
        Path out = dir.resolve("vrg.json");
        Cli.Result r = optimize(out, "--model", "gmm:" + gauss, "--curve", gaussCurve.toString(), "--sampler", "dpmpp_2m",
                "--steps", "6", "--from", "karras");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("vrg: dpmpp_2m, 6 steps from karras on gauss: accumulated variance "), r.out());
        ScheduleFile f = ScheduleFile.read(out);
        assertEquals("vrg", f.method());
        assertEquals("dpmpp_2m", f.sampler());
        assertEquals("karras", f.base());
        assertEquals(6, f.steps());
        double[] base = new double[7];
        for (int i = 0; i < 7; i++) {
            base[i] = f.details().get("base_sigmas").get(i).asDouble();
        }
        double[] s = f.sigmas();
        assertEquals(base[0], s[0], 0);
        assertEquals(base[5], s[5], 0);
        assertTrue(f.details().get("objective_after").asDouble() <= f.details().get("objective_before").asDouble());
        assertTrue(f.details().get("curve").get("file").asText().endsWith("gauss-curve.json"));

        Path samples = dir.resolve("s.npy");
        Cli.Result run = Cli.run("sample", "--model", "gmm:" + gauss, "--sampler", "dpmpp_2m", "--scheduler", "file:" + out,
                "--batch", "4", "--out", samples.toString(), "--no-progress");
        assertEquals(0, run.code(), run.err());
        assertTrue(Files.readString(Path.of(samples + ".json")).contains("\"schedule_file\""));
    }

    @Test
    void fitsTheTinyImageModel() throws IOException {
        byte[] pixels = new byte[6 * 784];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 31 + i / 784);
        }
        Path images = dir.resolve("images.npy"), labels = dir.resolve("labels.npy");
        ErrorCurveCommandTest.uint8(images, "(6, 28, 28)", pixels);
        ErrorCurveCommandTest.uint8(labels, "(6,)", new byte[] {0, 3, 9, 1, 7, 7});
        Path curve = dir.resolve("eps-curve.json");
        assertEquals(0, Cli.run("error-curve", "--model", "tiny-eps", "--heldout", images.toString(), "--labels",
                labels.toString(), "--levels", "12", "--images", "6", "--no-progress", "-o", curve.toString()).code());
        Path out = dir.resolve("eps-vrg.json");
        Cli.Result r = optimize(out, "--model", "tiny-eps", "--curve", curve.toString(), "--sampler", "euler", "--steps", "4",
                "--from", "quadratic");
        assertEquals(0, r.code(), r.err());
        Path png = dir.resolve("e.png");
        Cli.Result gen = Cli.run("generate", "--model", "tiny-eps", "--prompt", "sneaker", "--sampler", "euler",
                "--scheduler", "file:" + out, "-o", png.toString(), "--no-progress");
        assertEquals(0, gen.code(), gen.err());
        // The gaussian's curve is not this model's.
        Path other = dir.resolve("other.json");
        Cli.Result wrong = optimize(other, "--model", "tiny-eps", "--curve", gaussCurve.toString(), "--steps", "4");
        assertEquals(2, wrong.code());
        assertTrue(wrong.err().contains("this error curve was measured on gauss"), wrong.err());
        assertFalse(Files.exists(other));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--steps 1|--steps 1 is not allowed; give 2..200",
        "--steps 201|--steps 201 is not allowed; give 2..200",
        "--sampler euler_ancestral|sampler euler_ancestral is stochastic",
        "--sampler nope|unknown sampler",
        "--from zigzag|base schedule 'zigzag' is unknown; allowed: uniform, logsnr, quadratic, normal, karras",
        "-P nope=1|nope",
        "--radius 0|--radius '0' is not allowed; give a number > 0, or inf",
        "--radius -1|--radius '-1' is not allowed",
        "--radius wide|--radius 'wide' is not allowed",
        "--method nope|--method",
    })
    void badInputIsOneLineAndWritesNothing(String args, String message) {
        Path out = dir.resolve("bad.json");
        List<String> a = new ArrayList<>(List.of("--model", "gmm:" + gauss, "--curve", gaussCurve.toString()));
        if (!args.startsWith("--steps")) {
            a.addAll(List.of("--steps", "5"));
        }
        a.addAll(List.of(args.split(" ")));
        Cli.Result r = optimize(out, a.toArray(String[]::new));
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains(message), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void theCurveIsRequired() {
        Path out = dir.resolve("x.json");
        Cli.Result r = optimize(out, "--model", "gmm:" + gauss, "--steps", "5");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--curve FILE.json is required: measure the model's error curve once with "
                + "'stepwise error-curve --model gmm:"), r.err());
        assertFalse(Files.exists(out));
    }
}
