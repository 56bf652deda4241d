package dev.stepwise.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.cli.Main;
import dev.stepwise.harness.CellResult;
import dev.stepwise.harness.CellStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark engine in local mode (local[2]) against the local engine: the same cells, bit for bit. */
class SparkCompareTest {
    @TempDir
    Path tmp;

    @Test
    void imageCellsEqualTheLocalEnginesAndARerunComputesNothing() throws IOException {
        Path plan = Runs.write(tmp, "image.yaml", Runs.IMAGE_PLAN);
        List<CellResult> expected = Runs.local(plan, tmp.resolve("local"));
        Path out = tmp.resolve("spark");
        Runs.Result r = Runs.spark(plan.toString(), "--out", out.toString(), "--master", "local[2]");
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.err(), "only the engine's own lines, and none on success");
        assertEquals(4, Runs.computed(r));
        assertTrue(r.out().contains(SparkCompare.CELL_DONE + " 4/4"), r.out());
        assertTrue(r.out().strip().endsWith("spark image: 4 cells (2 configurations) on fashion-eps -> "
                + out.resolve("summary.md")), r.out());
        Runs.assertSameCells(expected, tmp.resolve("local"), out);
        assertTrue(Files.size(out.resolve(SparkCompare.LOG)) > 0, "Spark's log is in the report folder");
        try (Stream<Path> s = Files.walk(out)) {
            assertEquals(List.of(), s.map(Path::getFileName).map(Path::toString)
                    .filter(n -> n.endsWith(".crc") || n.endsWith(".tmp")).toList(), "no checksum or temporary files");
        }

        Map<Path, FileTime> records = modified(out);
        byte[] summary = Files.readAllBytes(out.resolve("summary.md"));
        Files.delete(out.resolve("summary.md"));
        Runs.Result again = Runs.spark(plan.toString(), "--out", out.toString(), "--master", "local[2]");
        assertEquals(0, again.code(), again.toString());
        assertEquals(0, Runs.computed(again));
        assertTrue(again.out().startsWith(SparkCompare.STARTED + " 4 4"), again.out());
        assertEquals(records, modified(out), "no cell written again");
        assertEquals(new String(summary), Files.readString(out.resolve("summary.md")), "the report rebuilt the same");
    }

    @Test
    void mixtureCellsWithAReferenceEqualTheLocalEngines() throws IOException {
        Path plan = Runs.write(tmp, "gmm.yaml", Runs.MIXTURE_PLAN);
        List<CellResult> expected = Runs.local(plan, tmp.resolve("local"));
        Path out = tmp.resolve("spark");
        Runs.Result r = Runs.spark(plan.toString(), "--out", "file:" + out, "--master", "local[2]");
        assertEquals(0, r.code(), r.toString());
        assertEquals(8, Runs.computed(r));
        Runs.assertSameCells(expected, tmp.resolve("local"), out);
    }

    @Test
    void aBuiltInModelReachesTheExecutorsInTheJobJar() throws IOException {
        Path plan = Runs.write(tmp, "image.yaml", Runs.IMAGE_PLAN);
        List<CellResult> expected = Runs.local(plan, tmp.resolve("local"));
        // The driver's models are a copy that is deleted once the driver has opened its model and before any task:
        // the executors (no spark.stepwise.models) can only open fashion-eps from the job's own classpath.
        Path copy = tmp.resolve("driver-models");
        try (Stream<Path> s = Files.walk(Runs.MODELS)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                Path to = copy.resolve(Runs.MODELS.relativize(f).toString());
                Files.createDirectories(to.getParent());
                Files.copy(f, to);
            }
        }
        Path out = tmp.resolve("spark");
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        PrintStream stdout = new PrintStream(lines, true, StandardCharsets.UTF_8) {
            @Override
            public void println(String line) {
                if (line.startsWith(SparkCompare.STARTED + " ")) {
                    delete(copy);
                }
                super.println(line);
            }
        };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setProperty("stepwise.models", copy.toString());
        int code;
        try {
            code = SparkCompare.run(new String[] {plan.toString(), "--out", out.toString(), "--master", "local[2]"},
                    stdout, new PrintStream(err, true, StandardCharsets.UTF_8));
        } finally {
            System.setProperty("stepwise.models", Runs.MODELS.toString());
        }
        assertEquals(0, code, lines + " " + err);
        assertFalse(Files.exists(copy), "the driver's models were gone while the tasks ran");
        Runs.assertSameCells(expected, tmp.resolve("local"), out);
    }

    private static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aBadPlanGetsTheLocalEnginesLineAndExit2BeforeAnything() throws IOException {
        Path plan = Runs.write(tmp, "bad.yaml", Runs.IMAGE_PLAN.replace("steps: [3]", "steps: [0]"));
        Path out = tmp.resolve("out");
        Runs.Result r = Runs.spark(plan.toString(), "--out", out.toString());
        StringWriter err = new StringWriter();
        int code = Main.execute(new String[] {"compare", plan.toString(), "--out", out.toString()},
                new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        assertEquals(2, code);
        assertEquals(2, r.code());
        assertEquals(err.toString(), r.err());
        assertTrue(r.err().contains("steps"), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void anUnreachableMasterIsOneLineAndExit2WithinTheWait() throws IOException {
        Path plan = Runs.write(tmp, "image.yaml", Runs.IMAGE_PLAN);
        Path out = tmp.resolve("out");
        long t0 = System.nanoTime();
        Runs.Result r = Runs.spark(plan.toString(), "--out", out.toString(), "--master", "spark://127.0.0.1:1");
        assertTrue(System.nanoTime() - t0 < 2L * SparkCompare.CONNECT_MILLIS * 1_000_000L, "bounded wait");
        assertEquals(2, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("stepwise compare: --master 'spark://127.0.0.1:1': no Spark master answers at"
                + " 127.0.0.1:1"), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void aModelFolderAnExecutorCannotReadStopsTheJobWithOneLineNamingPathAndHost() throws IOException {
        Path plan = Runs.write(tmp, "image.yaml", Runs.IMAGE_PLAN);
        Path elsewhere = tmp.resolve("no-models");
        Runs.Result r = Runs.spark(plan.toString(), "--out", tmp.resolve("out").toString(), "--master", "local[2]",
                "--conf", SparkCompare.MODELS_CONF + "=" + elsewhere);
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("stepwise compare: host " + ExecutorModels.host() + ": cannot read model folder "
                + elsewhere.resolve("fashion-eps")), r.err());
    }

    @Test
    void anOutFolderThatCannotBeWrittenIsOneLineBeforeAnyTask() throws IOException {
        Path plan = Runs.write(tmp, "image.yaml", Runs.IMAGE_PLAN);
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Runs.Result r = Runs.spark(plan.toString(), "--out", file.resolve("report").toString(), "--master", "local[2]");
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("stepwise compare: --out"), r.err());
        assertFalse(r.out().contains(SparkCompare.STARTED), "no cell ran");
    }

    private static Map<Path, FileTime> modified(Path out) throws IOException {
        Map<Path, FileTime> m = new HashMap<>();
        try (Stream<Path> s = Files.list(out.resolve(CellStore.CELLS))) {
            for (Path p : s.toList()) {
                m.put(p, Files.getLastModifiedTime(p));
            }
        }
        return m;
    }
}
