package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.core.schedule.Sigmas;
import dev.stepwise.harness.MixtureSpec;
import dev.stepwise.harness.fit.ScheduleFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code stepwise tune} on analytic mixtures: the winner is the configuration with the lowest figure in the compare
 * report it ran, its schedule file is the list those cells walked, fitted VRG lists run only with their own sampler,
 * and bad input is one line with exit 2 before anything runs.
 */
class TuneCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static Cli.Result tune(Path out, String... args) {
        List<String> a = new ArrayList<>(List.of("tune", "--out", out.toString(), "--parallel", "2", "--no-progress"));
        a.addAll(List.of(args));
        return Cli.run(a.toArray(String[]::new));
    }

    /** summary.csv's column values per row, by header name. */
    private static List<Map<String, String>> csv(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        String[] head = lines.get(0).split(",");
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",", -1);
            Map<String, String> m = new HashMap<>();
            for (int i = 0; i < head.length; i++) {
                m.put(head[i], cells[i]);
            }
            rows.add(m);
        }
        return rows;
    }

    @Test
    void theWinnerIsTheComparisonsBestAndItsFileIsItsList() throws IOException {
        Path out = dir.resolve("t");
        Cli.Result r = tune(out, "--model", "gmm:builtin", "--nfe", "6", "--samplers", "euler,dpmpp_2m", "--batch", "512",
                "--seeds", "0", "--baseline", "dpmpp_2m/karras/12");
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("tune.md", "tune.json", "schedule.json", "plan.json", "schedules/gits.json",
                "compare/summary.csv", "baseline/summary.csv")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        // Two samplers x (9 generic schedulers + the GITS list) + a VRG list each; the mixture has no SD tables.
        List<Map<String, String>> rows = csv(out.resolve("compare/summary.csv"));
        assertEquals(22, rows.size());
        assertTrue(Files.isRegularFile(out.resolve("curve.json")));
        Map<String, String> best = rows.get(0);
        for (Map<String, String> row : rows) {
            if (Double.parseDouble(row.get("sliced_w1")) < Double.parseDouble(best.get("sliced_w1"))) {
                best = row;
            }
        }
        JsonNode t = JSON.readTree(out.resolve("tune.json").toFile());
        assertEquals("sliced W1", t.get("figure").asText());
        assertEquals(22, t.get("ranking").size());
        JsonNode w = t.get("ranking").get(0);
        assertEquals(best.get("sampler"), w.get("sampler").asText());
        assertEquals(best.get("scheduler"), w.get("schedule").asText());
        assertEquals(Double.parseDouble(best.get("sliced_w1")), w.get("value").asDouble(), 1e-4);
        for (int i = 1; i < t.get("ranking").size(); i++) {
            assertTrue(t.get("ranking").get(i).get("value").asDouble() >= t.get("ranking").get(i - 1).get("value").asDouble());
        }
        assertEquals("dpmpp_2m", t.get("baseline").get("sampler").asText());
        assertTrue(r.out().startsWith("tune gmm-ring at 6 NFE: " + best.get("sampler") + " / " + best.get("scheduler")), r.out());

        ScheduleFile file = ScheduleFile.read(out.resolve("schedule.json"));
        assertEquals(best.get("sampler"), file.sampler());
        ModelSampling sampling = MixtureSpec.builtIn().sampling();
        if (Schedulers.names().contains(best.get("scheduler"))) {
            int steps = Integer.parseInt(best.get("steps"));
            double[] expected = Sigmas.forRun(Schedulers.get(best.get("scheduler")).create(Map.of()), sampling, steps, 1.0, false);
            assertEquals(List.of(box(expected)), List.of(box(file.sigmas())));
        }
        // The file runs: sample takes it at its own step count.
        Cli.Result run = Cli.run("sample", "--sampler", file.sampler(), "--scheduler",
                "file:" + out.resolve("schedule.json"), "--steps", Integer.toString(file.steps()), "--batch", "4",
                "--out", dir.resolve("s.npy").toString(), "--no-progress");
        assertEquals(0, run.code(), run.err());
    }

    private static List<Double> box(double[] v) {
        List<Double> out = new ArrayList<>();
        for (double d : v) {
            out.add(d);
        }
        return out;
    }

    @Test
    void vrgListsRunWithTheirOwnSamplerOnly() throws IOException {
        Path gauss = dir.resolve("gauss.json");
        Files.writeString(gauss, "{\"dim\": 3, \"components\": [{\"weight\": 1, \"mean\": [0.5, -1, 2], \"std\": 0.7}]}");
        Path curve = dir.resolve("curve.json");
        Cli.Result c = Cli.run("error-curve", "--model", "gmm:" + gauss, "--levels", "60",
                "--images", "200", "--no-progress", "-o", curve.toString());
        assertEquals(0, c.code(), c.err());
        Path out = dir.resolve("v");
        Cli.Result r = tune(out, "--model", "gmm:" + gauss, "--nfe", "5", "--samplers", "euler,dpmpp_2m",
                "--schedulers", "karras,simple", "--fit", "vrg", "--curve", curve.toString(), "--batch", "256",
                "--baseline", "none");
        assertEquals(0, r.code(), r.err());
        List<Map<String, String>> rows = csv(out.resolve("compare/summary.csv"));
        List<String> pairs = rows.stream().map(m -> m.get("sampler") + "/" + m.get("scheduler")).toList();
        assertEquals(List.of("euler/karras", "euler/simple", "euler/vrg euler", "dpmpp_2m/karras", "dpmpp_2m/simple",
                "dpmpp_2m/vrg dpmpp_2m"), pairs);
        for (String s : List.of("euler", "dpmpp_2m")) {
            ScheduleFile f = ScheduleFile.read(out.resolve("schedules/vrg-" + s + ".json"));
            assertEquals(s, f.sampler());
            assertEquals(5, f.steps());
        }
        JsonNode t = JSON.readTree(out.resolve("tune.json").toFile());
        assertFalse(t.has("baseline"));
        // A 3-D mixture has no sliced W1 (the report's is 2-D only): ranked by the distance to the reference solve.
        assertEquals("distance to the converged reference", t.get("figure").asText());
        boolean objective = false;
        for (JsonNode row : t.get("ranking")) {
            if (row.get("schedule").asText().startsWith("vrg ")) {
                objective = true;
                assertTrue(row.get("objective_after").asDouble() <= row.get("objective_before").asDouble());
            }
        }
        assertTrue(objective);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--nfe 0|stepwise tune: --nfe 0 is not allowed; give 1..200",
            "--nfe 5 --samplers euler,nope|stepwise tune: --samplers: unknown sampler 'nope'; see 'stepwise list samplers'",
            "--nfe 5 --fit vrg,none|stepwise tune: --fit 'vrg,none' is not allowed; give vrg, gits, vrg,gits or none",
            "--nfe 5 --baseline euler/karras|stepwise tune: --baseline 'euler/karras' is not allowed; give SAMPLER/SCHEDULER/NFE (dpmpp_2m/karras/20) or none",
            "--nfe 5 --baseline euler/nope/20|stepwise tune: --baseline 'euler/nope/20': unknown scheduler 'nope'",
            "--nfe 5 --radius 0|stepwise tune: --radius '0' is not allowed; give a number > 0, or inf for an unbounded search",
            "--nfe 5 --schedulers file:x.json|stepwise tune: --schedulers takes registry names; tune fits its own lists (--fit)",
            "--nfe 5 --batch 0|stepwise tune: --batch 0 is not allowed; give 1 or more"})
    void badInputIsOneLineAndNothingIsWritten(String args, String message) {
        Path out = dir.resolve("bad");
        List<String> a = new ArrayList<>(List.of("--model", "gmm:builtin"));
        a.addAll(List.of(args.split(" ")));
        Cli.Result r = tune(out, a.toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertEquals(message, r.err().strip());
        assertFalse(Files.exists(out));
    }
}
