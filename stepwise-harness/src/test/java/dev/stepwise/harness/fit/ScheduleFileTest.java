package dev.stepwise.harness.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.model.ContinuousVeSampling;
import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.FlowSampling;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.model.Prediction;
import dev.stepwise.core.schedule.Schedulers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The schedule file format: a round trip, and one line naming the file and the problem for every mistake. */
class ScheduleFileTest {
    static final ModelSampling SD1 = DiscreteVpSampling.stableDiffusion(Prediction.EPS);

    @TempDir
    Path dir;

    static ScheduleFile karras(int steps) {
        ObjectNode details = JsonNodeFactory.instance.objectNode().put("objective_before", 0.31).put("objective_after", 0.12);
        details.putObject("optimiser").put("name", "adam").put("iterations", 200);
        return ScheduleFile.of("vrg", "fashion-eps", SD1, "dpmpp_2m", "karras",
                Schedulers.get("karras").create().sigmas(SD1, steps), details);
    }

    @Test
    void aFileReadsBackAsWritten() throws IOException {
        ScheduleFile f = karras(6);
        Path file = dir.resolve("vrg.json");
        f.write(file);
        ScheduleFile back = ScheduleFile.read(file);
        assertEquals(f, back);
        assertArrayEquals(f.sigmas(), back.sigmas(), 0);
        assertEquals(6, back.steps());
        assertEquals(200, back.details().get("optimiser").get("iterations").asInt());
        assertEquals(SD1.describe(), back.sampling());
        assertEquals(SD1.sigmaMax(), back.sigmaMax());
        assertArrayEquals(Files.readAllBytes(file), back.toBytes(), "writing what was read gives the same bytes");
        String text = Files.readString(file);
        assertTrue(text.startsWith("{\n  \"format\" : \"stepwise-schedule\",\n  \"version\" : 1,\n  \"method\" : \"vrg\","), text);
        assertTrue(text.contains("\"sigma_min\" : ") && text.contains("\"steps\" : 6,"), text);

        ScheduleFile bare = new ScheduleFile("custom", "m", "s", 0.5, 10, null, null, new double[] {10, 1, 0}, null);
        bare.write(file);
        assertEquals(bare, ScheduleFile.read(file));
        assertEquals("{}", ScheduleFile.read(file).details().toString());
        assertNotEquals(f, f.withoutDetails());
        assertEquals("{}", f.withoutDetails().details().toString());
    }

    @Test
    void theRecordCannotBeChangedFromOutside() {
        double[] list = {10, 1, 0};
        ObjectNode details = JsonNodeFactory.instance.objectNode().put("a", 1);
        ScheduleFile f = new ScheduleFile("custom", "m", "s", 0.5, 10, null, null, list, details);
        list[1] = 5;
        details.put("a", 2);
        f.sigmas()[0] = 3;
        f.details().put("a", 3);
        assertArrayEquals(new double[] {10, 1, 0}, f.sigmas(), 0);
        assertEquals(1, f.details().get("a").asInt());
    }

    static final String GOOD = """
            {"format": "stepwise-schedule", "version": 1, "method": "vrg", "model": "m", "sampling": "s",
             "sigma_min": 0.5, "sigma_max": 10, "sampler": null, "steps": 3, "base": "karras",
             "sigmas": [10, 4, 1, 0], "details": {"k": [1, 2]}}""";

    /** The good file with {@code from} replaced by {@code to} (which must be there). */
    static String good(String from, String to) {
        assertTrue(GOOD.contains(from), from);
        return GOOD.replace(from, to);
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
                Arguments.of("not JSON", "{\"format\": ", "is not valid JSON (line 1, column"),
                Arguments.of("empty", "", "is not a schedule file: expected a JSON object"),
                Arguments.of("a list", "[10, 0]", "is not a schedule file: expected a JSON object"),
                Arguments.of("repeated key", good("\"version\": 1,", "\"version\": 1, \"version\": 1,"), "Duplicate field 'version'"),
                Arguments.of("unknown key", good("\"base\"", "\"rho\": 7, \"base\""), "unknown key 'rho'; allowed: format, version, method"),
                Arguments.of("no format", good("\"format\": \"stepwise-schedule\", ", ""), "is not a schedule file: format is missing"),
                Arguments.of("other format", good("stepwise-schedule", "comfy-sigmas"), "format is \"comfy-sigmas\"; expected \"stepwise-schedule\""),
                Arguments.of("newer version", good("\"version\": 1", "\"version\": 2"), "version 2 is not supported; this Stepwise reads version 1"),
                Arguments.of("version as text", good("\"version\": 1", "\"version\": \"1\""), "version \"1\" is not supported"),
                Arguments.of("no sigmas", good("\"sigmas\": [10, 4, 1, 0], ", ""), "missing 'sigmas'"),
                Arguments.of("sigmas not a list", good("[10, 4, 1, 0]", "\"10, 4, 1, 0\""), "sigmas is \"10, 4, 1, 0\"; expected a list of numbers"),
                Arguments.of("a sigma as text", good("[10, 4, 1, 0]", "[10, \"4\", 1, 0]"), "sigmas[1] is \"4\"; expected a number"),
                Arguments.of("not decreasing", good("[10, 4, 1, 0]", "[10, 1, 4, 0]"), "sigmas: sigmas must decrease strictly, but sigma[2] = 4.0 follows 1.0"),
                Arguments.of("a repeat", good("[10, 4, 1, 0]", "[10, 4, 4, 0]"), "sigmas must decrease strictly, but sigma[2] = 4.0 follows 4.0"),
                Arguments.of("not ending in 0", good("[10, 4, 1, 0]", "[10, 4, 1, 0.5]"), "sigmas: a fixed sigma list must end in 0, but its last value is 0.5"),
                Arguments.of("infinite", good("[10, 4, 1, 0]", "[1e400, 4, 1, 0]"), "sigmas[0] = Infinity is not a finite number"),
                Arguments.of("negative", good("[10, 4, 1, 0]", "[10, 4, -1, -2]"), "sigmas: sigma -1.0 at position 2 must be finite and >= 0"),
                Arguments.of("one value", good("\"steps\": 3", "\"steps\": 0").replace("[10, 4, 1, 0]", "[0]"), "a sigma list needs at least 2 values"),
                Arguments.of("steps not the list's", good("\"steps\": 3", "\"steps\": 4"), "steps is 4 but sigmas has 4 values; a list of N steps has N + 1 sigmas"),
                Arguments.of("steps not an integer", good("\"steps\": 3", "\"steps\": 3.5"), "steps is 3.5; expected an integer"),
                Arguments.of("no steps", good("\"steps\": 3, ", ""), "missing 'steps'"),
                Arguments.of("no method", good("\"method\": \"vrg\", ", ""), "missing 'method'"),
                Arguments.of("empty model", good("\"model\": \"m\"", "\"model\": \" \""), "model = \" \" must be non-empty text"),
                Arguments.of("sampling a number", good("\"sampling\": \"s\"", "\"sampling\": 3"), "sampling is 3; expected text"),
                Arguments.of("sampler a number", good("\"sampler\": null", "\"sampler\": 3"), "sampler is 3; expected text or null"),
                Arguments.of("range backwards", good("\"sigma_max\": 10", "\"sigma_max\": 0.25"), "sigma_max = 0.25 must be finite and above sigma_min = 0.5"),
                Arguments.of("sigma_min 0", good("\"sigma_min\": 0.5", "\"sigma_min\": 0"), "sigma_min = 0.0 must be a finite number > 0"),
                Arguments.of("above its range", good("[10, 4, 1, 0]", "[12, 4, 1, 0]"), "sigmas[0] = 12.0 is above the file's sigma_max = 10.0"),
                Arguments.of("details a list", good("{\"k\": [1, 2]}", "[1, 2]"), "details is [1,2]; expected a JSON object"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void everyMistakeIsOneLineNamingTheFile(String what, String text, String expected) throws IOException {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, text);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScheduleFile.read(file), what);
        assertOneLine("schedule file '" + file + "'", e.getMessage());
        assertOneLine(expected, e.getMessage());
    }

    @Test
    void theGoodFileOfTheMistakesIsGood() throws IOException {
        Path file = dir.resolve("good.json");
        Files.writeString(file, GOOD);
        ScheduleFile f = ScheduleFile.read(file);
        assertArrayEquals(new double[] {10, 4, 1, 0}, f.sigmas(), 0);
        assertEquals(null, f.sampler());
        assertEquals("[1,2]", f.details().get("k").toString());
    }

    @Test
    void missingUnreadableAndBinaryFilesAreNamed() throws IOException {
        Path missing = dir.resolve("missing.json");
        assertEquals("schedule file '" + missing + "' does not exist",
                assertThrows(IllegalArgumentException.class, () -> ScheduleFile.read(missing)).getMessage());
        assertOneLine("cannot read schedule file '" + dir + "'",
                assertThrows(IllegalArgumentException.class, () -> ScheduleFile.read(dir)).getMessage());
        Path binary = dir.resolve("binary.json");
        Files.write(binary, new byte[] {'{', 0, 1, 2});
        assertOneLine("schedule file '" + binary + "' is not a text file (it holds a NUL byte at offset 1)",
                assertThrows(IllegalArgumentException.class, () -> ScheduleFile.read(binary)).getMessage());
        Path latin1 = dir.resolve("latin1.json");
        Files.write(latin1, "{\"model\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1));
        assertOneLine("is not a text file (byte 0xe9",
                assertThrows(IllegalArgumentException.class, () -> ScheduleFile.read(latin1)).getMessage());
    }

    @Test
    void aModelOfTheSameRangeFitsAndAnotherIsRefusedNamingBoth() {
        ScheduleFile f = karras(4);
        f.checkFits("tiny-eps", SD1);   // the same family, other weights
        DiscreteVpSampling v = DiscreteVpSampling.stableDiffusion(Prediction.V);
        f.checkFits("sd2-v", v);        // the same noise schedule with another prediction: the same range
        ModelSampling flow = FlowSampling.sd3(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.checkFits("tiny-flow", flow));
        assertOneLine("fitted on model 'fashion-eps' (sigma 0.0291672..14.6146) but model 'tiny-flow' has sigma "
                + String.format(Locale.ROOT, "%.6g..%.6g", flow.sigmaMin(), flow.sigmaMax())
                + "; a schedule file runs only on a model of the sigma range it was fitted on", e.getMessage());
    }

    /** Within 1e-6 the range is the model's; a list that still goes above the model's sigma_max is refused. */
    @Test
    void theRangeToleranceIsRelativeOneInAMillion() {
        double max = 10;
        ModelSampling model = ContinuousVeSampling.exact(0.5, max);
        new ScheduleFile("custom", "a", "s", 0.5 * (1 + 0.9e-6), max * (1 - 0.9e-6), null, null, new double[] {9, 0}, null)
                .checkFits("b", model);
        ScheduleFile off = new ScheduleFile("custom", "a", "s", 0.5, max * (1 + 1.1e-6), null, null, new double[] {9, 0}, null);
        assertOneLine("fitted on model 'a' (sigma 0.500000..10.0000) but model 'b' has sigma 0.500000..10.0000",
                assertThrows(IllegalArgumentException.class, () -> off.checkFits("b", model)).getMessage());
        double top = max * (1 + 1.8e-6);
        ScheduleFile high = new ScheduleFile("custom", "a", "s", 0.5, max * (1 + 0.9e-6), null, null, new double[] {top, 0}, null);
        assertOneLine("its first sigma " + top + " is above model 'b''s sigma_max 10.0",
                assertThrows(IllegalArgumentException.class, () -> high.checkFits("b", model)).getMessage());
    }

    static void assertOneLine(String expected, String message) {
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.contains(expected), "expected '" + expected + "' in: " + message);
    }
}
