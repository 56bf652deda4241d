package dev.stepwise.harness.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.FlowSampling;
import dev.stepwise.core.model.Prediction;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The curve file: its round trip, interpolation, the model check, and every problem the reader refuses. */
class ErrorCurveTest {
    @TempDir
    Path dir;

    static final DiscreteVpSampling EPS = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
    static final FlowSampling FLOW = FlowSampling.sd3(1.0);

    static ErrorCurve vp() {
        double[] table = EPS.sigmaTable();
        return new ErrorCurve("fashion-eps", EPS.describe(), EPS.sigmaMin(), EPS.sigmaMax(),
                new double[] {table[0], table[499], table[999]}, new double[] {0.5, 0.04, 0.0015},
                new double[] {0.48, 0.038, 0.0014}, new double[] {0.52, 0.042, 0.0016}, 256,
                "class-conditional: each image's true label", "Fashion-MNIST test split, first 256 images", 7);
    }

    /** A flow curve whose last level, s = 1, has MSE 0 exactly (eps_hat = x there). */
    static ErrorCurve flow() {
        double[] table = FLOW.sigmaTable();
        assertEquals(0.5, table[499], 0);
        assertEquals(1, table[999], 0);
        return new ErrorCurve("fashion-flow", FLOW.describe(), FLOW.sigmaMin(), FLOW.sigmaMax(),
                new double[] {table[0], table[499], table[999]}, new double[] {1.2, 0.04, 0}, new double[] {1.1, 0.03, 0},
                new double[] {1.3, 0.05, 0}, 16, "unconditional", "test", -3);
    }

    @Test
    void theFileRoundTripsExactly() throws IOException {
        for (ErrorCurve c : new ErrorCurve[] {vp(), flow()}) {
            assertEquals(c, ErrorCurve.parse(c.toJson(), "curve.json"));
            Path file = dir.resolve(c.model() + ".json");
            c.write(file);
            c.write(file);   // replaces it
            assertEquals(c, ErrorCurve.read(file));
        }
        String text = new String(vp().toJson(), StandardCharsets.UTF_8);
        assertTrue(text.startsWith("{\n  \"format\" : \"stepwise-error-curve\",\n  \"version\" : 1,"), text);
        assertTrue(text.contains("\"mse\" : [ 0.5, 0.04, 0.0015 ]"), "an array on one line: " + text);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void mseAtInterpolatesLinearlyInLogSigma() {
        ErrorCurve c = vp();
        double[] s = c.sigmas();
        for (int i = 0; i < s.length; i++) {
            assertEquals(c.mse()[i], c.mseAt(s[i]), 0, "a measured level gives its own value");
        }
        double mid = Math.sqrt(s[0] * s[1]);   // halfway in log sigma
        assertEquals((0.5 + 0.04) / 2, c.mseAt(mid), 1e-12);
        double quarter = Math.exp(0.75 * Math.log(s[1]) + 0.25 * Math.log(s[2]));
        assertEquals(0.75 * 0.04 + 0.25 * 0.0015, c.mseAt(quarter), 1e-12);
        for (double bad : new double[] {s[0] * 0.999, s[2] * 1.001, 0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            String m = assertThrows(IllegalArgumentException.class, () -> c.mseAt(bad)).getMessage();
            assertTrue(m.startsWith("sigma " + bad + " is outside the measured range "), m);
            assertEquals(1, m.lines().count());
        }
        ErrorCurve f = flow();
        assertEquals(0, f.mseAt(1), 0, "flow at s = 1: MSE 0, no division by zero");
        assertEquals(0.02, f.mseAt(Math.sqrt(0.5)), 1e-12, "halfway between s = 0.5 and 1 in log s");
    }

    @Test
    void requireModelRefusesAnotherModelNamingBoth() {
        ErrorCurve c = vp();
        c.requireModel("fashion-eps", EPS);
        String m = assertThrows(IllegalArgumentException.class, () -> c.requireModel("fashion-flow", FLOW)).getMessage();
        assertTrue(m.contains("measured on fashion-eps (discrete VP, eps prediction") && m.contains("not on fashion-flow (rectified flow"), m);
        assertThrows(IllegalArgumentException.class, () -> c.requireModel("fashion-eps",
                DiscreteVpSampling.stableDiffusion(Prediction.V)), "same name, another parameterisation");
        assertThrows(IllegalArgumentException.class, () -> flow().requireModel("fashion-flow",
                new FlowSampling(FlowSampling.Shift.SD3, 1.0, 1000, 500)), "same describe(), another sigma range");
        flow().requireModel("fashion-flow", FLOW);
    }

    /** The vp() curve's file with one substitution made in its text. */
    static String edited(String from, String to) {
        String text = new String(vp().toJson(), StandardCharsets.UTF_8);
        assertTrue(text.contains(from), from);
        return text.replace(from, to);
    }

    static Stream<Arguments> badFiles() {
        String s0 = Double.toString(EPS.sigmaTable()[0]), s1 = Double.toString(EPS.sigmaTable()[499]);
        return Stream.of(
                Arguments.of(edited("\"mse\" : [ 0.5,", "\"mse\" : [ 1e999,"), "mse[0] = Infinity; values must be finite and >= 0"),
                Arguments.of(edited("\"low\" : [ 0.48,", "\"low\" : [ -0.1,"), "low[0] = -0.1; values must be finite and >= 0"),
                Arguments.of(edited("0.042, 0.0016 ]", "0.042, 1e400 ]"), "high[2] = Infinity; values must be finite and >= 0"),
                Arguments.of(edited("\"mse\" : [ 0.5, 0.04, 0.0015 ]", "\"mse\" : [ 0.5, 0.04 ]"),
                        "the arrays differ in length: sigmas 3, mse 2, low 3, high 3; each needs one value per level"),
                Arguments.of(edited("\"mse\" : [ 0.5, 0.04,", "\"mse\" : [ 0.5, null,"),
                        "mse[1] is null; every level needs a value (no gaps)"),
                Arguments.of(edited("\"mse\" : [ 0.5, 0.04,", "\"mse\" : [ 0.5, \"0.04\","), "mse[1] must be a number, got \"0.04\""),
                Arguments.of(edited(s0 + ", " + s1, s1 + ", " + s0),
                        "sigmas[1] = " + s0 + " is not above sigmas[0] = " + s1 + "; levels must be strictly ascending"),
                Arguments.of(edited(s0 + ", " + s1, s1 + ", " + s1),
                        "sigmas[1] = " + s1 + " is not above sigmas[0] = " + s1 + "; levels must be strictly ascending"),
                Arguments.of(edited("\"sigmas\" : [ " + s0, "\"sigmas\" : [ 0.0"), "sigmas[0] = 0.0; a level must be finite and > 0"),
                Arguments.of(edited("\"sigmas\" : [ " + s0, "\"sigmas\" : [ 0.001"),
                        "levels 0.001.." + EPS.sigmaTable()[999] + " lie outside the model's range sigma_min " + EPS.sigmaMin()
                                + " .. sigma_max " + EPS.sigmaMax()),
                Arguments.of("{\"format\": \"stepwise-error-curve\", \"version\": 1, \"model\": \"m\", \"sampling\": \"s\","
                        + " \"sigma_min\": 0.1, \"sigma_max\": 10, \"samples\": 4, \"conditioning\": \"unconditional\","
                        + " \"data\": \"d\", \"seed\": 0, \"sigmas\": [1], \"mse\": [1], \"low\": [1], \"high\": [1]}",
                        "1 level; a curve needs at least 2"),
                Arguments.of(edited("\"format\" : \"stepwise-error-curve\"", "\"format\" : \"stepwise-plan\""),
                        "format \"stepwise-plan\" is not allowed; an error curve has \"format\": \"stepwise-error-curve\""),
                Arguments.of(edited("\"format\" : \"stepwise-error-curve\",", ""),
                        "format is missing; an error curve has \"format\": \"stepwise-error-curve\""),
                Arguments.of(edited("\"version\" : 1", "\"version\" : 2"), "version 2 is not allowed; this Stepwise reads version 1"),
                Arguments.of(edited("\"version\" : 1", "\"version\" : \"1\""), "version \"1\" is not allowed; this Stepwise reads version 1"),
                Arguments.of(edited("\"seed\" : 7", "\"seed\" : 7, \"colour\" : 1"), "unknown key 'colour'; allowed: format, version,"
                        + " model, sampling, sigma_min, sigma_max, samples, conditioning, data, seed, sigmas, mse, low, high"),
                Arguments.of(edited("\"seed\" : 7,", ""), "missing field 'seed'"),
                Arguments.of(edited("\"seed\" : 7", "\"seed\" : 7.5"), "'seed' must be a whole number (64-bit), got 7.5"),
                Arguments.of(edited("\"samples\" : 256", "\"samples\" : 0"), "samples = 0; at least 1 sample per level is needed"),
                Arguments.of(edited("\"samples\" : 256", "\"samples\" : 2.5"), "'samples' must be a whole number, got 2.5"),
                Arguments.of(edited("\"model\" : \"fashion-eps\"", "\"model\" : 3"), "'model' must be a string, got 3"),
                Arguments.of(edited("\"model\" : \"fashion-eps\"", "\"model\" : \" \""), "'model' is empty; it must say what it describes"),
                Arguments.of(edited("\"sigma_max\" : ", "\"sigma_max\" : -"), "sigma_min " + EPS.sigmaMin() + " and sigma_max -"
                        + EPS.sigmaMax() + " must be finite with 0 < sigma_min < sigma_max"),
                Arguments.of(new String(vp().toJson(), StandardCharsets.UTF_8).replaceAll("\"sigmas\" : \\[[^\\]]*\\]",
                        "\"sigmas\" : \"many\""), "'sigmas' must be an array of numbers, got string"),
                Arguments.of(edited("\"low\" : [ 0.48,", "\"low\" : [ 0.6,"), "level 0: mse 0.5 is not inside its band [0.6, 0.52]"),
                Arguments.of(edited("\"high\" : [ 0.52,", "\"high\" : [ 0.49,"), "level 0: mse 0.5 is not inside its band [0.48, 0.49]"),
                Arguments.of("[1, 2]", "expected a JSON object with \"format\": \"stepwise-error-curve\""),
                Arguments.of(edited("\"seed\" : 7", "\"seed\" : 7, \"seed\" : 8"), null),
                Arguments.of("{\"format\": ", null));
    }

    @ParameterizedTest
    @MethodSource("badFiles")
    void theReaderRefusesABadFileWithOneLineNamingFileAndProblem(String text, String expected) throws IOException {
        Path file = dir.resolve("curve.json");
        Files.writeString(file, text);
        String m = assertThrows(IllegalArgumentException.class, () -> ErrorCurve.read(file)).getMessage();
        assertEquals(1, m.lines().count(), m);
        assertTrue(m.startsWith(file.toString()), m);
        if (expected != null) {
            assertEquals(file + ": " + expected, m);
        }
    }

    @Test
    void anUnreadableFileIsOneLineToo() throws IOException {
        Path missing = dir.resolve("nope.json");
        assertEquals("error curve " + missing + " does not exist",
                assertThrows(IllegalArgumentException.class, () -> ErrorCurve.read(missing)).getMessage());
        Path folder = Files.createDirectory(dir.resolve("folder.json"));
        String m = assertThrows(IllegalArgumentException.class, () -> ErrorCurve.read(folder)).getMessage();
        assertTrue(m.startsWith("cannot read error curve " + folder), m);
    }

    @Test
    void accessorsAndConstructorCopyTheArrays() {
        double[] s = {1, 2}, m = {0.1, 0.2};
        ErrorCurve c = new ErrorCurve("m", "s", 1, 2, s, m, m, m, 1, "unconditional", "d", 0);
        s[0] = 0.5;
        c.mse()[0] = 9;
        assertArrayEquals(new double[] {1, 2}, c.sigmas());
        assertArrayEquals(new double[] {0.1, 0.2}, c.mse());
        assertEquals(2, c.levels());
    }
}
