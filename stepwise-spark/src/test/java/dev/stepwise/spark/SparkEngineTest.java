package dev.stepwise.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.cli.Main;
import dev.stepwise.harness.CellResult;
import dev.stepwise.harness.CellStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stepwise compare --engine spark}: the CLI runs SparkCompare in a child JVM (here on this test's classpath,
 * as STEPWISE_SPARK_CLASSPATH gives it) and shows its lines as the local engine's.
 */
class SparkEngineTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void childClasspath() {
        Runs.childClasspath();
    }

    private static Runs.Result cli(String... args) {
        return Runs.cli(args);
    }

    @Test
    void theCliRunsThePlanOnSparkWithTheLocalEnginesCells() throws IOException {
        Path plan = Runs.write(tmp, "gmm.yaml", Runs.MIXTURE_PLAN);
        List<CellResult> expected = Runs.local(plan, tmp.resolve("local"));
        Path out = tmp.resolve("spark");
        Runs.Result r = cli("compare", plan.toString(), "--engine", "spark", "--master", "local[2]", "--out", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(List.of("spark mixture: 8 cells (4 configurations) on gmm:builtin -> " + out.resolve("summary.md")),
                r.out().lines().toList(), "the local engine's one line");
        List<String> err = r.err().lines().toList();
        assertEquals(1, err.size(), r.err());
        assertTrue(err.get(0).matches("stepwise compare: Spark UI at http://.*:\\d+"), r.err());
        Runs.assertSameCells(expected, tmp.resolve("local"), out);
        assertTrue(Files.readString(out.resolve(SparkCompare.LOG)).contains("SparkContext"), "Spark's log in the folder");

        Runs.Result again = cli("compare", plan.toString(), "--engine", "spark", "--out", out.toString());
        assertEquals(0, again.code(), again.toString());
        assertEquals("stepwise compare: all 8 cells already in " + out + "; rebuilding the report",
                again.err().strip(), "nothing to run: no Spark started");
    }

    @Test
    void verboseShowsSparksLog() throws IOException {
        Path plan = Runs.write(tmp, "gmm.yaml", Runs.MIXTURE_PLAN.replace("seeds: 1-2", "seeds: 1"));
        Runs.Result r = cli("compare", plan.toString(), "--engine", "spark", "--master", "local[1]",
                "--out", tmp.resolve("out").toString(), "--verbose");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("spark: INFO SparkContext: ")), r.err());
    }

    @Test
    void badInputIsTheChildsOneLineAndExit2() throws IOException {
        Path plan = Runs.write(tmp, "gmm.yaml", Runs.MIXTURE_PLAN);
        Path out = tmp.resolve("out");
        Runs.Result r = cli("compare", plan.toString(), "--engine", "spark", "--master", "spark://127.0.0.1:1",
                "--out", out.toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("stepwise compare: --master 'spark://127.0.0.1:1': no Spark master answers"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void benchCompareTimesBothEnginesInOneRun() {
        Runs.Result r = cli("bench", "compare", "--engine", "spark", "--parallel", "2", "--seeds", "2", "--steps", "2",
                "--reference", "none");
        assertEquals(0, r.code(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("model fashion-eps, 12 cells"), r.out());
        assertTrue(lines.get(1).matches("local engine, 2 at once: 12 cells in [0-9.]+ s: [0-9.]+ cells/s, .*"), r.out());
        assertTrue(lines.get(2).matches("spark local\\[2\\]: 12 cells in [0-9.]+ s: [0-9.]+ cells/s, .*"), r.out());
        // cells per second is the cells over the time printed with them, and the overhead their difference
        double local = seconds(lines.get(1)), spark = seconds(lines.get(2));
        double rate = Double.parseDouble(lines.get(2).replaceAll(".* s: ([0-9.]+) cells/s.*", "$1"));
        assertEquals(12 / spark, rate, 0.01 * rate);
        assertEquals(1000 * (spark - local) * 2 / 12,
                Double.parseDouble(lines.get(3).replaceAll("spark's per-cell overhead: (-?[0-9.]+) ms.*", "$1")), 0.3);
        assertTrue(lines.get(4).startsWith("spark's fixed start-up: "), r.out());
        assertTrue(lines.get(5).startsWith("scaling model: time = "), r.out());
    }

    private static double seconds(String line) {
        return Double.parseDouble(line.replaceAll(".* cells in ([0-9.]+) s: .*", "$1"));
    }

    @Test
    void anInterruptedRunKeepsItsCellsAndTheRerunContinues() throws Exception {
        Path plan = Runs.write(tmp, "long.yaml", Runs.MIXTURE_PLAN.replace("seeds: 1-2", "seeds: 1-40")
                .replace("batch: 256", "batch: 8192"));
        Path out = tmp.resolve("out");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Dstepwise.models=" + Runs.MODELS,
                "-Dstepwise.spark.classpath=" + System.getProperty("stepwise.spark.classpath"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "compare", plan.toString(), "--engine", "spark", "--master", "local[2]", "--out", out.toString());
        Process cli = new ProcessBuilder(command).redirectOutput(tmp.resolve("cli.out").toFile())
                .redirectError(tmp.resolve("cli.err").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (cells(out) < 5 && cli.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        cli.destroy();   // SIGTERM: the JVM's shutdown, as Ctrl-C on a terminal
        assertTrue(cli.waitFor(30, TimeUnit.SECONDS), "the CLI stops");
        Thread.sleep(500);   // the child's last file operations
        long kept = cells(out);
        assertTrue(kept >= 5 && kept < 160, kept + " cells kept");
        List<String> err = Files.readAllLines(tmp.resolve("cli.err"));
        assertEquals("stepwise compare: interrupted; " + kept + " cells are kept in " + out, err.get(err.size() - 2),
                String.join("\n", err));
        assertTrue(err.get(err.size() - 1).startsWith("resume with: "), String.join("\n", err));
        assertEquals("", Files.readString(tmp.resolve("cli.out")), "no summary line");
        // A write cut short leaves at most a hidden temporary file; every visible record is whole.
        CellStore store = CellStore.open(out);
        try (Stream<Path> s = Files.list(out.resolve(CellStore.CELLS))) {
            for (Path p : s.filter(p -> !p.getFileName().toString().startsWith(".")).toList()) {
                String id = p.getFileName().toString().replaceAll("\\.json$", "");
                assertTrue(store.read(id).isPresent(), p.toString());
            }
        }

        Runs.Result again = Runs.spark(plan.toString(), "--out", out.toString(), "--master", "local[2]");
        assertEquals(0, again.code(), again.toString());
        assertTrue(again.out().startsWith(SparkCompare.STARTED + " 160 " + kept), again.out());
        assertEquals(160 - kept, Runs.computed(again), "only the missing cells");
    }

    private static long cells(Path out) throws IOException {
        if (!Files.isDirectory(out.resolve(CellStore.CELLS))) {
            return 0;
        }
        try (Stream<Path> s = Files.list(out.resolve(CellStore.CELLS))) {
            return s.filter(p -> p.getFileName().toString().endsWith(".json")).count();
        }
    }

    @Test
    void theEngineOptionsAreChecked() throws IOException {
        Path plan = Runs.write(tmp, "gmm.yaml", Runs.MIXTURE_PLAN);
        List<String[]> bad = new ArrayList<>();
        bad.add(new String[] {"compare", "--engine", "spark", "--model", "gmm:builtin", "--out", tmp.resolve("a").toString()});
        bad.add(new String[] {"compare", plan.toString(), "--engine", "spark", "--parallel", "2"});
        bad.add(new String[] {"compare", plan.toString(), "--master", "local[2]", "--out", tmp.resolve("b").toString()});
        bad.add(new String[] {"compare", plan.toString(), "--engine", "flink"});
        for (String[] args : bad) {
            Runs.Result r = cli(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r);
            assertEquals(1, r.err().lines().count(), r.err());
        }
        assertFalse(Files.exists(tmp.resolve("a")) || Files.exists(tmp.resolve("b")));
    }
}
