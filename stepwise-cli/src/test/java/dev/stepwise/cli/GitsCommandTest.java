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
 * {@code stepwise optimize-schedule --method gits} on a one-Gaussian mixture and on the tiny eps fixture: the file it
 * writes, that other commands take it, and bad input (exit 2, one line, nothing written).
 */
@ExtendWith(FixtureModels.class)
class GitsCommandTest {
    @TempDir
    Path dir;

    Path gauss;

    @BeforeEach
    void mixture() throws IOException {
        gauss = dir.resolve("gauss.json");
        Files.writeString(gauss, "{\"dim\": 3, \"components\": [{\"weight\": 1, \"mean\": [0.5, -1, 2], \"std\": 0.7}]}");
    }

    private Cli.Result gits(Path out, String... args) {
        List<String> a = new ArrayList<>(List.of("optimize-schedule", "--method", "gits", "--no-progress", "-o", out.toString()));
        a.addAll(List.of(args));
        return Cli.run(a.toArray(String[]::new));
    }

    private static void assertListFromTeacher(ScheduleFile f, int steps) {
        double[] s = f.sigmas();
        var levels = f.details().get("teacher_levels");
        assertEquals(61, levels.size());
        assertEquals(steps + 1, s.length);
        assertEquals(levels.get(0).asDouble(), s[0], 0);
        assertEquals(levels.get(60).asDouble(), s[steps - 1], 0);
        assertEquals(0, s[steps], 0);
        for (int k = 1; k <= steps; k++) {
            assertTrue(s[k] < s[k - 1]);
        }
        var indices = f.details().get("teacher_indices");
        for (int k = 0; k < steps; k++) {
            assertEquals(levels.get(indices.get(k).asInt()).asDouble(), s[k], 0);
        }
    }

    @Test
    void fitsAMixtureAndEveryCommandTakesTheList() throws IOException {
        Path out = dir.resolve("gits.json");
        Cli.Result r = gits(out, "--model", "gmm:" + gauss, "--steps", "6", "--warmup", "32", "--metric", "l2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("gits: 6 steps from 61 ipndm levels on gauss (32 warm-up trajectories, cfg 1, metric "
                + "l2, coeff 1.15): levels [0, "), r.out());
        ScheduleFile f = ScheduleFile.read(out);
        assertEquals("gits", f.method());
        assertEquals("euler", f.sampler());
        assertEquals("karras-61 teacher", f.base());
        assertEquals(6, f.steps());
        assertEquals(0.002, f.sigmas()[5], 1e-12);
        assertEquals(80, f.sigmas()[0], 1e-9);
        assertListFromTeacher(f, 6);
        assertEquals("l2", f.details().get("metric").asText());
        assertEquals(32, f.details().get("warmup").asInt());
        assertTrue(f.details().get("dp_cost").asDouble() > 0);

        Path samples = dir.resolve("s.npy");
        Cli.Result run = Cli.run("sample", "--model", "gmm:" + gauss, "--sampler", "dpmpp_2m", "--scheduler", "file:" + out,
                "--batch", "4", "--out", samples.toString(), "--no-progress");
        assertEquals(0, run.code(), run.err());
    }

    @Test
    void fitsTheTinyImageModelWithTheDefaultMetric() throws IOException {
        Path out = dir.resolve("eps-gits.json");
        Cli.Result r = gits(out, "--model", "tiny-eps", "--steps", "4", "--warmup", "12", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        ScheduleFile f = ScheduleFile.read(out);
        assertListFromTeacher(f, 4);
        assertEquals("dev", f.details().get("metric").asText());
        assertEquals(3, f.details().get("cfg").asDouble(), 0);
        assertEquals(3, f.details().get("seed").asLong());
        Path png = dir.resolve("e.png");
        Cli.Result gen = Cli.run("generate", "--model", "tiny-eps", "--prompt", "sneaker", "--sampler", "euler",
                "--scheduler", "file:" + out, "-o", png.toString(), "--no-progress");
        assertEquals(0, gen.code(), gen.err());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--steps 1|--steps 1 is not allowed; give 2..60",
        "--steps 61|--steps 61 is not allowed; give 2..60",
        "--steps 5 --teacher-steps 4|--steps 5 is not allowed; give 2..4",
        "--steps 5 --coeff 0|--coeff 0.0 is not allowed; give a finite value > 0",
        "--steps 5 --coeff -1|--coeff -1.0 is not allowed",
        "--steps 5 --coeff NaN|--coeff NaN is not allowed",
        "--steps 5 --coeff Infinity|--coeff Infinity is not allowed",
        "--steps 5 --metric l3|--metric 'l3' is unknown; allowed: dev, l1, l2",
        "--steps 5 --warmup 0|--warmup 0 is not allowed; give 1 or more",
        "--steps 5 --cfg 101|--cfg 101.0 is not allowed",
        "--steps 5 --teacher-steps 1|--teacher-steps 1 is not allowed",
    })
    void badInputIsOneLineAndWritesNothing(String args, String message) {
        Path out = dir.resolve("bad.json");
        List<String> a = new ArrayList<>(List.of("--model", "gmm:" + gauss));
        a.addAll(List.of(args.split(" ")));
        Cli.Result r = gits(out, a.toArray(String[]::new));
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains(message), r.err());
        assertFalse(Files.exists(out));
    }
}
