package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.harness.fit.ScheduleFile;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.image.Infotext;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --scheduler file:SCHEDULE.json} in sample, generate and compare: the file's list is walked exactly (the
 * same bytes as {@code --sigmas} with that list, or as the scheduler whose list it holds), resampled at other step
 * counts, recorded in the outputs, and refused with one line when it does not fit the model or is not valid.
 */
@ExtendWith(FixtureModels.class)
class ScheduleFileCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The built-in ring's sigma range and a list for it. */
    private static final double[] RING_LIST = {80, 20, 1, 0};

    @TempDir
    Path dir;

    private Path ringSchedule(String name, double... sigmas) throws IOException {
        Path file = dir.resolve(name);
        new ScheduleFile("custom", "gmm-ring", "continuous VE (EDM), sigma 0.002..80", 0.002, 80, "dpmpp_2m", null,
                sigmas, null).write(file);
        return file;
    }

    private static ModelSampling fixture(String model) {
        return ModelConfig.read(Cli.fixtureModels().resolve(model)).sampling();
    }

    private Path fixtureSchedule(String name, String model, double[] sigmas) throws IOException {
        Path file = dir.resolve(name);
        ScheduleFile.of("custom", model, fixture(model), null, "karras", sigmas, null).write(file);
        return file;
    }

    private static JsonNode sidecar(Path npy) throws IOException {
        return JSON.readTree(SampleCommand.sidecar(npy).toFile());
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    // ---------------------------------------------------------------- sample

    /** uni_pc too, whose named schedulers lose their penultimate sigma: a file's list is walked as given. */
    @ParameterizedTest
    @ValueSource(strings = {"dpmpp_2m", "uni_pc", "euler_ancestral"})
    void sampleWithAFileGivesTheBytesOfSigmasWithItsList(String sampler) throws IOException {
        Path schedule = ringSchedule("s.json", RING_LIST);
        Path a = dir.resolve("file.npy"), b = dir.resolve("sigmas.npy");
        Cli.Result r = Cli.run("sample", "--sampler", sampler, "--scheduler", "file:" + schedule, "--seed", "3",
                "--batch", "64", "--out", a.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith(sampler + "/file:s.json, 3 steps"), r.out());
        r = Cli.run("sample", "--sampler", sampler, "--sigmas", "80,20,1,0", "--seed", "3", "--batch", "64",
                "--out", b.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Files.readAllBytes(b), Files.readAllBytes(a));

        JsonNode j = sidecar(a);
        assertEquals("file:s.json", j.get("scheduler").asText());
        assertEquals(0, j.get("scheduler_parameters").size());
        assertEquals(schedule.toString(), j.get("schedule_file").get("path").asText());
        assertEquals("custom", j.get("schedule_file").get("method").asText());
        assertEquals("gmm-ring", j.get("schedule_file").get("model").asText());
        assertArrayEquals(RING_LIST, doubles(j.get("schedule_file").get("sigmas")), 0);
        assertArrayEquals(RING_LIST, doubles(j.get("sigmas")), 0);
        assertEquals(3, j.get("steps").asInt(), "without --steps, the file's own step count");
        assertTrue(sidecar(b).get("schedule_file").isNull());
    }

    /** 20 and 1 sit at positions 1/2 and 0 of the ascending log list 1, 20, 80: 4 steps take 0, 1/3, 2/3, 1. */
    @Test
    void anotherStepCountResamplesTheListLogLinearly() throws IOException {
        Path schedule = ringSchedule("s.json", RING_LIST);
        Path out = dir.resolve("four.npy");
        Cli.Result r = Cli.run("sample", "--scheduler", "file:" + schedule, "--steps", "4", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        double[] expected = {80, 20 * Math.cbrt(4), Math.pow(20, 2.0 / 3), 1, 0};
        assertArrayEquals(expected, doubles(sidecar(out).get("sigmas")), 1e-12);
        assertArrayEquals(RING_LIST, doubles(sidecar(out).get("schedule_file").get("sigmas")), 0);

        r = Cli.run("sample", "--scheduler", "file:" + schedule, "--steps", "4", "--denoise", "0.5", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(5, sidecar(out).get("sigmas").size(), "denoise: the last 4 steps of the list resampled to 8");
    }

    // ---------------------------------------------------------------- generate

    @Test
    void generateWithAFileOfKarrasSigmasDrawsKarrasPixelsAndRecordsTheFile() throws IOException {
        double[] karras = Schedulers.get("karras").create().sigmas(fixture("tiny-eps"), 6);
        Path schedule = fixtureSchedule("k.json", "tiny-eps", karras);
        Path a = dir.resolve("file.png"), b = dir.resolve("karras.png");
        Cli.Result r = Cli.run("generate", "--model", "tiny-eps", "--prompt", "bag", "--seed", "5", "--scale", "1",
                "--scheduler", "file:" + schedule, "-o", a.toString());
        assertEquals(0, r.code(), r.err());
        r = Cli.run("generate", "--model", "tiny-eps", "--prompt", "bag", "--seed", "5", "--scale", "1",
                "--scheduler", "karras", "--steps", "6", "-o", b.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(pixels(b), pixels(a));
        String sigmas = Arrays.stream(karras).mapToObj(Infotext::number)
                .collect(Collectors.joining(", "));
        // A value holding ':' is quoted, as A1111 writes it.
        assertEquals("bag\nSteps: 6, Sampler: dpmpp_2m, Schedule type: \"file:k.json\", CFG scale: 3, Seed: 5, Size: 28x28,"
                + " Model: tiny-eps, Sigmas: \"" + sigmas + "\"",
                GenerateCommandTest.textChunks(Files.readAllBytes(a)).get("parameters"));
    }

    @Test
    void aFileFittedOnAnotherModelIsRefusedNamingBoth() throws IOException {
        Path flow = fixtureSchedule("flow.json", "tiny-flow", new double[] {0.9, 0.5, 0.1, 0});
        Path out = dir.resolve("out.png");
        Cli.Result r = Cli.run("generate", "--model", "tiny-eps", "--scheduler", "file:" + flow, "-o", out.toString());
        assertRefused(r, "stepwise generate: scheduler file:flow.json: fitted on model 'tiny-flow' (sigma ",
                "but model 'tiny-eps' has sigma 0.0291");
        assertFalse(Files.exists(out));
        // The same family (tiny-flow's own list on tiny-flow) runs.
        assertEquals(0, Cli.run("generate", "--model", "tiny-flow", "--scheduler", "file:" + flow, "-o", out.toString())
                .code());

        Path npy = dir.resolve("out.npy");
        r = Cli.run("sample", "--scheduler", "file:" + flow, "--out", npy.toString());
        assertRefused(r, "stepwise sample: scheduler file:flow.json: fitted on model 'tiny-flow'", "but model 'built-in");
        assertFalse(Files.exists(npy));
    }

    // ---------------------------------------------------------------- refusals

    @Test
    void schedulerParametersAreRefusedForAFile() throws IOException {
        Path schedule = ringSchedule("s.json", RING_LIST);
        Path npy = dir.resolve("out.npy");
        assertRefused(Cli.run("sample", "--scheduler", "file:" + schedule, "-S", "rho=7", "--out", npy.toString()),
                "scheduler file:s.json takes no parameters (a schedule file is a fixed list), but rho is given");
        assertFalse(Files.exists(npy));
        Path eps = fixtureSchedule("k.json", "tiny-eps", new double[] {14, 3, 0});
        Path png = dir.resolve("out.png");
        assertRefused(Cli.run("generate", "--model", "tiny-eps", "--scheduler", "file:" + eps, "-S", "rho=7", "-o",
                png.toString()), "scheduler file:k.json takes no parameters");
        assertFalse(Files.exists(png));
    }

    @Test
    void badFilesAreOneLineAndNothingIsWritten() throws IOException {
        Path notJson = Files.writeString(dir.resolve("not.json"), "14.6, 7, 0");
        Path increasing = Files.writeString(dir.resolve("up.json"), Files.readString(ringSchedule("up.json", RING_LIST))
                .replace("20.0", "90.0"));
        Path missing = dir.resolve("missing.json");
        Path npy = dir.resolve("out.npy"), png = dir.resolve("out.png");
        for (Path bad : List.of(notJson, increasing, missing)) {
            String named = "schedule file '" + bad + "'";
            assertRefused(Cli.run("sample", "--scheduler", "file:" + bad, "--out", npy.toString()), named);
            assertRefused(Cli.run("generate", "--model", "tiny-eps", "--scheduler", "file:" + bad, "-o", png.toString()),
                    named);
            assertRefused(Cli.compare(dir.resolve("report"), "--model", "gmm:builtin", "--schedulers", "file:" + bad,
                    "--steps", "3", "--seeds", "1", "--batch", "16"), named);
        }
        assertRefused(Cli.run("sample", "--scheduler", "file:", "--out", npy.toString()), "names no file");
        assertFalse(Files.exists(npy));
        assertFalse(Files.exists(png));
        assertFalse(Files.exists(dir.resolve("report")));
    }

    private static void assertRefused(Cli.Result r, String... named) {
        assertEquals(Main.USAGE, r.code(), r.err());
        assertEquals(1, r.errLines(), r.err());
        for (String n : named) {
            assertTrue(r.err().contains(n), "expected '" + n + "' in: " + r.err());
        }
        assertFalse(r.err().contains("Exception"), r.err());
        assertEquals("", r.out());
    }

    // ---------------------------------------------------------------- compare

    @Test
    void aPlanTakesAFileBesideItAndItsCellsFollowTheList() throws IOException {
        Path plans = Files.createDirectories(dir.resolve("plans"));
        Path plan = Files.writeString(plans.resolve("plan.yaml"), """
                model: gmm:builtin
                samplers: [euler]
                schedulers: [karras, "file:s.json"]
                steps: [3, 5]
                seeds: [1]
                batch: 64
                reference: false
                """);
        new ScheduleFile("custom", "gmm-ring", "continuous VE (EDM), sigma 0.002..80", 0.002, 80, null, null, RING_LIST,
                null).write(plans.resolve("s.json"));
        Path first = dir.resolve("first");
        Cli.Result r = Cli.compare(first, plan.toString());
        assertEquals(0, r.code(), r.err());
        String csv = Files.readString(first.resolve("cells.csv"));
        assertTrue(csv.contains(",file:s.json,"), csv);
        assertTrue(Files.readString(first.resolve("summary.md")).contains("file:s.json"));
        Set<String> before = cells(first);
        assertEquals(4, before.size());

        new ScheduleFile("custom", "gmm-ring", "continuous VE (EDM), sigma 0.002..80", 0.002, 80, null, null,
                new double[] {80, 10, 1, 0}, null).write(plans.resolve("s.json"));
        Path second = dir.resolve("second");
        assertEquals(0, Cli.compare(second, plan.toString()).code());
        Set<String> after = cells(second);
        for (String id : before) {
            assertEquals(id.contains("-karras-"), after.contains(id), id + " in " + after);
        }
        assertNotEquals(before, after);

        // The first folder holds the other list's report: refused, named, untouched.
        r = Cli.compare(first, plan.toString());
        assertRefused(r, "holds the report of another plan: schedulers karras, file:s.json (sigmas 80 20 1 0) there,",
                "(sigmas 80 10 1 0) here");
        assertEquals(before, cells(first));
    }

    @Test
    void compareFlagsTakeAFileAndRefuseItsParameters() throws IOException {
        Path schedule = ringSchedule("s.json", RING_LIST);
        Path out = dir.resolve("report");
        String[] plan = {"--model", "gmm:builtin", "--samplers", "euler", "--schedulers", "karras,file:" + schedule,
                "--steps", "3", "--seeds", "1", "--batch", "16", "--reference", "none"};
        List<String> withS = new ArrayList<>(List.of(plan));
        withS.addAll(List.of("-S", "rho=5"));
        assertRefused(Cli.compare(out, withS.toArray(String[]::new)),
                "-S rho=5: file:" + schedule + " has no parameter 'rho' (it has none); name the one it is for");
        assertFalse(Files.exists(out));
        withS.set(withS.size() - 1, "karras:rho=5");
        Cli.Result r = Cli.compare(out, withS.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(out.resolve("cells.csv")).contains(",file:s.json,"));
    }

    @Test
    void listHelpNamesScheduleFiles() {
        Cli.Result r = Cli.run("list", "--help");
        assertEquals(0, r.code());
        // (the help wraps lines anywhere, "file:" included)
        assertTrue(r.out().replaceAll("\\s+", "").contains("file:SCHEDULE.json"), r.out());
        assertTrue(Cli.run("generate", "--help").out().replaceAll("\\s+", "").contains("file:SCHEDULE.json"));
    }

    private static Set<String> cells(Path report) throws IOException {
        try (Stream<Path> s = Files.list(report.resolve("cells"))) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static int[] pixels(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        return img.getRaster().getPixels(0, 0, img.getWidth(), img.getHeight(), (int[]) null);
    }
}
