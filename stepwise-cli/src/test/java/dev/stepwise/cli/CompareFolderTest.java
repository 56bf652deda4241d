package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stepwise compare} into an existing report folder: the same plan on the same model resumes (and says how
 * many cells it reuses); another plan, or the same plan after a model file changed, is refused until --force,
 * which recomputes what changed; Ctrl-C says what is kept and the command that resumes, and that command does.
 */
@ExtendWith(FixtureModels.class)
class CompareFolderTest {
    @TempDir
    Path dir;

    private static Path fixtures;

    @BeforeAll
    static void modelsHome() {
        fixtures = Cli.fixtureModels();
    }

    private static Cli.Result compare(Path out, String... args) {
        return Cli.compare(out, args);
    }

    private static Set<String> names(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static Map<String, byte[]> contents(Path folder) throws IOException {
        Map<String, byte[]> out = new HashMap<>();
        for (String n : names(folder)) {
            out.put(n, Files.readAllBytes(folder.resolve(n)));
        }
        return out;
    }

    /** Every file under the folder with its bytes, to show that a refused run touched nothing. */
    private static Map<String, String> tree(Path folder) throws IOException {
        Map<String, String> out = new HashMap<>();
        try (Stream<Path> s = Files.walk(folder)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(folder.relativize(p).toString(), java.util.HexFormat.of().formatHex(Files.readAllBytes(p)));
            }
        }
        return out;
    }

    private static void assertRefused(Cli.Result r, String... named) {
        assertEquals(Main.USAGE, r.code(), r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().startsWith("stepwise compare: --out '"), r.err());
        assertTrue(r.err().contains("--force") && r.err().contains("another --out"), r.err());
        for (String n : named) {
            assertTrue(r.err().contains(n), "names '" + n + "': " + r.err());
        }
        assertEquals("", r.out());
    }

    @Test
    void theSamePlanResumesSayingHowManyCellsItReuses() throws IOException {
        Path out = dir.resolve("report");
        String[] plan = {"--model", "gmm:builtin", "--samplers", "euler,heun", "--steps", "4", "--seeds", "1-2",
                "--batch", "128", "--reference", "heun/karras/8"};
        Cli.Result first = compare(out, plan);
        assertEquals(0, first.code(), first.err());
        assertEquals("", first.err(), "a new folder is not a resumption");
        Map<String, byte[]> cells = contents(out.resolve("cells"));
        assertEquals(4, cells.size());
        List<String> deleted = new ArrayList<>(cells.keySet()).subList(0, 1);
        Files.delete(out.resolve("cells").resolve(deleted.get(0)));

        // Report-only settings (title, parallelism) may change; the cells are the same.
        List<String> again = new ArrayList<>(List.of(plan));
        again.addAll(List.of("--name", "renamed"));
        Cli.Result r = Cli.run(Stream.concat(Stream.of("compare", "--out", out.toString(), "--parallel", "1",
                "--no-progress"), again.stream()).toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertEquals("stepwise compare: resuming: 3 of 4 cells already in " + out + ", running 1", r.err().strip());
        Map<String, byte[]> after = contents(out.resolve("cells"));
        assertEquals(cells.keySet(), after.keySet(), "the same ids: the same cells");
        for (String f : cells.keySet()) {
            if (!deleted.contains(f)) {
                assertArrayEquals(cells.get(f), after.get(f), f + " was reused, not run again");
            }
        }
        r = compare(out, plan);
        assertEquals(0, r.code(), r.err());
        assertEquals("stepwise compare: all 4 cells already in " + out + "; rebuilding the report", r.err().strip());
    }

    @Test
    void anotherPlanIsRefusedUntilForce() throws IOException {
        Path out = dir.resolve("report");
        String[] common = {"--model", "gmm:builtin", "--steps", "4", "--seeds", "1-2", "--batch", "128", "--reference", "none"};
        assertEquals(0, compare(out, concat(common, "--samplers", "euler,heun")).code());
        Map<String, String> before = tree(out);

        String[] other = concat(common, "--samplers", "euler,dpmpp_2m");
        assertRefused(compare(out, other), "samplers euler, heun there, euler, dpmpp_2m here");
        assertEquals(before, tree(out), "a refused run changes nothing");
        assertRefused(compare(out, concat(common, "--samplers", "euler,heun", "--cfg", "2")), "cfg 1 there, 2 here");

        Cli.Result r = compare(out, concat(other, "--force"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().startsWith("stepwise compare: --force: removed 2 cells from " + out
                + ", which held the report of another plan: samplers"), r.err());
        assertTrue(r.err().contains("resuming: 2 of 4 cells"), "euler's cells are shared and kept: " + r.err());
        List<List<String>> rows = CompareCommandTest.csv(out.resolve("cells.csv"));
        int sampler = rows.get(0).indexOf("sampler");
        assertEquals(Set.of("euler", "dpmpp_2m"), rows.subList(1, rows.size()).stream().map(row -> row.get(sampler))
                .collect(Collectors.toSet()), "heun's cells are gone from the report");
        assertEquals(4, names(out.resolve("cells")).size(), "and from the folder");
        r = compare(out, other);
        assertEquals(0, r.code(), "the folder is the new plan's now: " + r.err());
    }

    /** An edited mixture spec is another model: refused, then recomputed with --force. */
    @Test
    void aChangedMixtureSpecIsRefusedThenForceRecomputes() throws IOException {
        Path spec = dir.resolve("two.json");
        String text = """
                {"dim": 2, "components": [
                  {"weight": 0.5, "mean": [2, 0], "std": 0.3, "label": 0},
                  {"weight": 0.5, "mean": [-2, 0], "std": 0.3, "label": 1}],
                 "sigma_min": 0.002, "sigma_max": 80}
                """;
        Files.writeString(spec, text);
        Path out = dir.resolve("report");
        String[] plan = {"--model", "gmm:" + spec, "--samplers", "euler", "--steps", "4", "--seeds", "1-2", "--batch", "256",
                "--reference", "none"};
        assertEquals(0, compare(out, plan).code());
        Map<String, byte[]> cells = contents(out.resolve("cells"));
        List<List<String>> rows = CompareCommandTest.csv(out.resolve("cells.csv"));

        Files.writeString(spec, text.replace("\"std\": 0.3", "\"std\": 0.5"));
        Map<String, String> before = tree(out);
        assertRefused(compare(out, plan), "a report of two as it was before its files changed");
        assertEquals(before, tree(out));

        Cli.Result r = compare(out, concat(plan, "--force"));
        assertEquals(0, r.code(), r.err());
        Map<String, byte[]> after = contents(out.resolve("cells"));
        assertEquals(2, after.size());
        assertTrue(java.util.Collections.disjoint(cells.keySet(), after.keySet()), "every cell is new");
        int w1 = rows.get(0).indexOf("sliced_w1");
        List<List<String>> rows2 = CompareCommandTest.csv(out.resolve("cells.csv"));
        assertNotEquals(rows.get(1).get(w1), rows2.get(1).get(w1), "computed on the edited mixture");
    }

    /** The other built-in model's ONNX file has the same size: only its content tells the two apart. */
    @Test
    void aSwappedOnnxFileIsRefusedThenForceRecomputes() throws IOException {
        Path eps = Path.of("..", "models", "fashion-eps"), flow = Path.of("..", "models", "fashion-flow");
        Assumptions.assumeTrue(Files.isRegularFile(eps.resolve("model.onnx")) && Files.isRegularFile(flow.resolve("model.onnx")),
                "models/ is absent");
        Path model = dir.resolve("my-model");
        Files.createDirectories(model);
        for (String f : List.of("model.json", "model.onnx")) {
            Files.copy(eps.resolve(f), model.resolve(f));
        }
        Path out = dir.resolve("report");
        String[] plan = {"--model", model.toString(), "--samplers", "euler", "--steps", "3", "--prompt", "bag", "--seeds", "1",
                "--reference", "none"};
        Cli.Result r = compare(out, plan);
        assertEquals(0, r.code(), r.err());
        Map<String, byte[]> samples = contents(out.resolve("samples"));

        Files.copy(flow.resolve("model.onnx"), model.resolve("model.onnx"), StandardCopyOption.REPLACE_EXISTING);
        assertRefused(compare(out, plan), "fashion-eps as it was before its files changed");
        r = compare(out, concat(plan, "--force"));
        assertEquals(0, r.code(), r.err());
        Map<String, byte[]> after = contents(out.resolve("samples"));
        assertEquals(1, after.size());
        assertNotEquals(samples.keySet(), after.keySet());
        assertFalse(java.util.Arrays.equals(samples.values().iterator().next(), after.values().iterator().next()),
                "the new weights' image");
    }

    /**
     * Ctrl-C in a real process (SIGINT; Process.destroy would send SIGTERM): two lines, the cells kept and the
     * command that resumes; running that command through a shell finishes the run and reuses the kept cells.
     */
    @Test
    @DisabledOnOs(OS.WINDOWS)
    void ctrlCSaysWhatIsKeptAndTheCommandThatResumes() throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        // A launcher like ./stepwise: it passes its own path as stepwise.command and execs Java (same pid).
        Path launcher = dir.resolve("stepwise");
        Files.writeString(launcher, "#!/usr/bin/env bash\nexec '" + javaBin + "' --enable-native-access=ALL-UNNAMED"
                + " -Dstepwise.models='" + fixtures + "' -Dstepwise.command=\"$0\" -cp '" + classpath + "'"
                + " dev.stepwise.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));
        Path out = dir.resolve("report");
        // About 40 x 50 ms of cells on one worker: time to interrupt after the first few.
        List<String> command = List.of(launcher.toString(), "compare", "--model", "gmm:builtin", "--samplers", "euler",
                "--steps", "20", "--seeds", "1-40", "--batch", "4096", "--reference", "none", "--parallel", "1",
                "--name", "ctrl c", "--out", out.toString(), "--no-progress");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(false)
                .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(err.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (cellFiles(out) < 2 && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(p.isAlive(), "still running when interrupted: " + Files.readString(err));
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start();
            assertEquals(0, kill.waitFor());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "exits after Ctrl-C");
        } finally {
            p.destroyForcibly();
        }
        assertEquals(130, p.exitValue(), Files.readString(err));
        List<String> lines = Files.readString(err).strip().lines().toList();
        assertEquals(2, lines.size(), lines.toString());
        Matcher m = Pattern.compile("stepwise compare: interrupted; (\\d+) of 40 cells are kept in (.*)").matcher(lines.get(0));
        assertTrue(m.matches(), lines.get(0));
        int kept = Integer.parseInt(m.group(1));
        assertEquals(out.toString(), m.group(2));
        assertEquals(cellFiles(out), kept, "the count is the cells written");
        assertTrue(kept >= 2 && kept < 40, lines.get(0));
        String resume = lines.get(1).replaceFirst("^resume with: ", "");
        assertEquals(launcher + " " + Main.quoted(command.subList(1, command.size())), resume);
        assertTrue(resume.contains("'ctrl c'"), "quoted for a shell: " + resume);
        Map<String, byte[]> keptCells = contents(out.resolve("cells"));

        Process again = new ProcessBuilder("bash", "-c", resume).directory(dir.toFile())
                .redirectOutput(dir.resolve("out2.txt").toFile()).redirectError(dir.resolve("err2.txt").toFile()).start();
        assertTrue(again.waitFor(120, TimeUnit.SECONDS), "the resumed run ends");
        String err2 = Files.readString(dir.resolve("err2.txt"), StandardCharsets.UTF_8);
        assertEquals(0, again.exitValue(), err2);
        assertEquals("stepwise compare: resuming: " + kept + " of 40 cells already in " + out + ", running " + (40 - kept),
                err2.strip());
        assertTrue(Files.readString(dir.resolve("out2.txt")).startsWith("ctrl c: 40 cells"));
        assertEquals(40, cellFiles(out));
        for (Map.Entry<String, byte[]> e : keptCells.entrySet()) {
            assertArrayEquals(e.getValue(), Files.readAllBytes(out.resolve("cells").resolve(e.getKey())), e.getKey());
        }
    }

    private static long cellFiles(Path out) throws IOException {
        Path cells = out.resolve("cells");
        if (!Files.isDirectory(cells)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(cells)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".json")).count();
        }
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }
}
