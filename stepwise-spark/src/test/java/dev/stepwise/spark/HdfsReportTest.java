package dev.stepwise.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.harness.CellResult;
import dev.stepwise.harness.CellStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --out hdfs://...}: a real HDFS (a NameNode and a DataNode, Hadoop's MiniDFSCluster) in the test JVM. The
 * driver's resume rule and report and the executors' writes reach it through Hadoop's FileSystem API only; the
 * cells read back from it equal the local engine's byte for byte.
 */
class HdfsReportTest {
    private static MiniDFSCluster cluster;
    private static FileSystem fs;
    private static String root;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startHdfs(@TempDir Path base) throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toString());
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        root = cluster.getURI().toString();
        fs = FileSystem.get(cluster.getURI(), new Configuration());
    }

    @AfterAll
    static void stopHdfs() throws IOException {
        if (fs != null) {
            fs.close();
        }
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    @Test
    void imageCellsOnHdfsEqualTheLocalEnginesAndARerunComputesNothing() throws IOException {
        Path plan = Runs.write(tmp, "image.yaml", Runs.IMAGE_PLAN);
        List<CellResult> expected = Runs.local(plan, tmp.resolve("local"));
        String out = root + "/reports/image";
        Runs.Result r = Runs.spark(plan.toString(), "--out", out, "--master", "local[2]");
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.err(), r.toString());
        assertEquals(4, Runs.computed(r));
        assertTrue(r.out().strip().endsWith("spark image: 4 cells (2 configurations) on fashion-eps -> " + out
                + "/summary.md"), r.out());
        Map<String, byte[]> files = files(out);
        for (String f : List.of("plan.json", "summary.md", "summary.csv", "summary.json", "cells.csv", "cells.json",
                "index.html", SparkCompare.LOG)) {
            assertTrue(files.containsKey(f), f + " on HDFS: " + files.keySet());
        }
        assertTrue(files.keySet().stream().anyMatch(f -> f.startsWith("grids/") && f.endsWith(".png")), files.keySet().toString());
        assertEquals(List.of(), files.keySet().stream().filter(n -> n.endsWith(".crc") || n.endsWith(".tmp")
                || n.contains("/.")).toList(), "no checksum or temporary files");
        Path copy = copy(files, tmp.resolve("from-hdfs"));
        Runs.assertSameCells(expected, tmp.resolve("local"), copy);
        Map<String, Long> records = recordTimes(out);

        fs.delete(new org.apache.hadoop.fs.Path(out + "/summary.md"), false);
        Runs.Result again = Runs.spark(plan.toString(), "--out", out, "--master", "local[2]");
        assertEquals(0, again.code(), again.toString());
        assertEquals(0, Runs.computed(again));
        assertTrue(again.out().startsWith(SparkCompare.STARTED + " 4 4"), again.out());
        assertEquals(records, recordTimes(out), "no cell written again");
        Map<String, byte[]> after = files(out);
        assertArrayEquals(files.get("summary.md"), after.get("summary.md"), "the report rebuilt the same");
    }

    @Test
    void mixtureCellsWithAReferenceOnHdfsEqualTheLocalEngines() throws IOException {
        Path plan = Runs.write(tmp, "gmm.yaml", Runs.MIXTURE_PLAN);
        List<CellResult> expected = Runs.local(plan, tmp.resolve("local"));
        String out = root + "/reports/gmm";
        Runs.Result r = Runs.spark(plan.toString(), "--out", out, "--master", "local[2]");
        assertEquals(0, r.code(), r.toString());
        assertEquals(8, Runs.computed(r));
        Map<String, byte[]> files = files(out);
        Runs.assertSameCells(expected, tmp.resolve("local"), copy(files, tmp.resolve("from-hdfs")));
        // Two prompts x seeds: the reference solves the executors made are on HDFS, as the local engine's folder has them.
        List<String> local;
        try (var s = Files.list(tmp.resolve("local").resolve(CellStore.REFERENCES))) {
            local = s.map(p -> CellStore.REFERENCES + "/" + p.getFileName()).sorted().toList();
        }
        assertEquals(local, files.keySet().stream().filter(f -> f.startsWith(CellStore.REFERENCES + "/")).sorted().toList());
        for (String f : local) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("local").resolve(f)), files.get(f), f);
        }
    }

    @Test
    void theCliWritesToHdfsWithEngineSparkAndTheLocalEngineRefusesItInOneLine() throws IOException {
        Runs.childClasspath();
        Path plan = Runs.write(tmp, "gmm.yaml", Runs.MIXTURE_PLAN.replace("seeds: 1-2", "seeds: 1"));
        String out = root + "/reports/cli";
        Runs.Result local = Runs.cli("compare", plan.toString(), "--out", out);
        assertEquals(2, local.code(), local.toString());
        assertEquals("stepwise compare: --out '" + out + "' is a URI of another file system than the local one; only"
                + " --engine spark writes there (through Hadoop's FileSystem API); give a folder", local.err().strip());
        assertFalse(fs.exists(new org.apache.hadoop.fs.Path(out)), "nothing written");

        Runs.Result r = Runs.cli("compare", plan.toString(), "--engine", "spark", "--master", "local[2]", "--out", out);
        assertEquals(0, r.code(), r.toString());
        assertEquals(List.of("spark mixture: 4 cells (4 configurations) on gmm:builtin -> " + out + "/summary.md"),
                r.out().lines().toList());
        assertEquals(4, fs.listStatus(new org.apache.hadoop.fs.Path(out + "/" + CellStore.CELLS)).length);
    }

    @Test
    void aFolderOnHdfsWithOtherFilesIsRefusedInOneLine() throws IOException {
        Path plan = Runs.write(tmp, "image.yaml", Runs.IMAGE_PLAN);
        String out = root + "/reports/someone-elses";
        try (var o = fs.create(new org.apache.hadoop.fs.Path(out + "/notes.txt"))) {
            o.write(1);
        }
        Runs.Result r = Runs.spark(plan.toString(), "--out", out, "--master", "local[2]");
        assertEquals(2, r.code(), r.toString());
        assertEquals("stepwise compare: --out '" + out + "' is a folder with other files in it and no Stepwise report;"
                + " give a new or empty folder for the report" + System.lineSeparator(), r.err());
        assertEquals(List.of("notes.txt"), new ArrayList<>(files(out).keySet()));
    }

    @Test
    void aFileSystemWithoutAConnectorIsOneLine() throws IOException {
        Path plan = Runs.write(tmp, "image.yaml", Runs.IMAGE_PLAN);
        Runs.Result r = Runs.spark(plan.toString(), "--out", "nofs://bucket/x", "--master", "local[2]");
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("stepwise compare: --out 'nofs://bucket/x' is not writable: "), r.err());
        assertTrue(r.err().contains("nofs"), r.err());
    }

    /** Every file under an HDFS folder, by path relative to it. */
    private static Map<String, byte[]> files(String folder) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        org.apache.hadoop.fs.Path base = fs.makeQualified(new org.apache.hadoop.fs.Path(folder));
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(base, true);
        while (it.hasNext()) {
            LocatedFileStatus s = it.next();
            String rel = s.getPath().toString().substring(base.toString().length() + 1);
            try (var in = fs.open(s.getPath())) {
                out.put(rel, in.readAllBytes());
            }
        }
        return out;
    }

    /** When each record file in an HDFS report folder was written. */
    private static Map<String, Long> recordTimes(String folder) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        for (var s : fs.listStatus(new org.apache.hadoop.fs.Path(folder + "/" + CellStore.CELLS))) {
            out.put(s.getPath().getName(), s.getModificationTime());
        }
        return out;
    }

    private static Path copy(Map<String, byte[]> files, Path dir) throws IOException {
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Path f = dir.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.write(f, e.getValue());
        }
        return dir;
    }
}
