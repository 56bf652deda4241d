package dev.stepwise.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.harness.CellResult;
import dev.stepwise.harness.CellStore;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real standalone cluster on loopback: a Master and two Workers as separate JVMs, made from this build's jars
 * alone (no Spark distribution): SPARK_HOME/jars links them, and the job's own classes travel as the application
 * jar (spark.jars), as spark-submit ships stepwise-spark-job.jar. The driver runs in this JVM.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterTest {
    /** Twelve cells of about half a second each on one core: a worker can be lost in the middle. */
    private static final String SLOW_PLAN = """
            name: spark kill
            model: gmm:builtin
            samplers: [euler, heun]
            schedulers: [karras]
            steps: [50]
            prompts: [""]
            seeds: 1-6
            batch: 16384
            reference: false
            """;

    @TempDir
    static Path cluster;
    @TempDir
    Path tmp;

    private static final List<Process> processes = new ArrayList<>();
    private static Process master;
    private static final List<Process> workers = new ArrayList<>();
    private static String url;
    private static Path appJar;

    @BeforeAll
    static void startCluster() throws Exception {
        Path home = cluster.resolve("spark-home");
        Path jars = Files.createDirectories(home.resolve("jars"));
        Path moduleClasses = Path.of("target", "classes").toAbsolutePath();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry).toAbsolutePath();
            if (p.equals(moduleClasses) || p.endsWith(Path.of("target", "test-classes"))) {
                continue;
            }
            if (Files.isDirectory(p)) {
                jar(p, jars.resolve("classes-" + n++ + ".jar"));   // a module of this build (mvn -am test)
            } else if (Files.isRegularFile(p)) {
                Files.createSymbolicLink(jars.resolve(n++ + "-" + p.getFileName()), p);
            }
        }
        appJar = jar(moduleClasses, cluster.resolve("stepwise-spark-app.jar"));
        int port = freePort(), ui = freePort();
        url = "spark://127.0.0.1:" + port;
        master = start("master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                String.valueOf(port), "--webui-port", String.valueOf(ui)), home);
        awaitPort(port);
        for (int w = 0; w < 2; w++) {
            workers.add(start("worker-" + w, List.of("org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
                    "--cores", "1", "--memory", "1g", "--webui-port", String.valueOf(freePort()),
                    "--work-dir", cluster.resolve("work-" + w).toString()), home));
        }
        awaitWorkers(ui, 2);
    }

    @AfterAll
    static void stopCluster() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private static Runs.Result onCluster(Path plan, Path out) {
        return Runs.spark(plan.toString(), "--out", out.toString(), "--master", url, "--conf", "spark.jars=" + appJar,
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.executor.memory=512m",
                "--conf", "spark.executor.extraJavaOptions=--enable-native-access=ALL-UNNAMED");
    }

    @Test
    @Order(1)
    void thePlanOnTheClusterEqualsTheLocalEngineAndARerunComputesNothing() throws IOException {
        Path plan = Runs.write(tmp, "gmm.yaml", Runs.MIXTURE_PLAN);
        List<CellResult> expected = Runs.local(plan, tmp.resolve("local"));
        Path out = tmp.resolve("cluster");
        Runs.Result r = onCluster(plan, out);
        assertEquals(0, r.code(), r.toString());
        assertEquals(8, Runs.computed(r));
        Runs.assertSameCells(expected, tmp.resolve("local"), out);

        Map<Path, byte[]> records = records(out);
        byte[] cellsCsv = Files.readAllBytes(out.resolve("cells.csv"));
        Runs.Result again = onCluster(plan, out);
        assertEquals(0, again.code(), again.toString());
        assertEquals(0, Runs.computed(again), "nothing recomputed");
        assertEquals(records.keySet(), records(out).keySet());
        records.forEach((p, bytes) -> assertEquals(new String(bytes), new String(records(out).get(p)), p.toString()));
        assertEquals(new String(cellsCsv), Files.readString(out.resolve("cells.csv")), "the report rebuilt the same");
    }

    @Test
    @Order(2)
    void aWorkerKilledMidRunLosesNoCellAndDuplicatesNone() throws Exception {
        Path plan = Runs.write(tmp, "slow.yaml", SLOW_PLAN);
        List<CellResult> expected = Runs.local(plan, tmp.resolve("local"));
        Path out = tmp.resolve("cluster");
        CompletableFuture<Runs.Result> run = CompletableFuture.supplyAsync(() -> onCluster(plan, out));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (cellsIn(out) < 2 && System.nanoTime() < deadline && !run.isDone()) {
            Thread.sleep(50);
        }
        int before = cellsIn(out);
        assertTrue(before >= 2 && before < expected.size(), "killed in the middle: " + before + " cells done");
        Process victim = workers.get(0);
        victim.descendants().forEach(ProcessHandle::destroyForcibly);   // kill -9 its executor, then the worker
        victim.destroyForcibly();
        Runs.Result r = run.get(120, TimeUnit.SECONDS);
        assertEquals(0, r.code(), r.toString());
        Runs.assertSameCells(expected, tmp.resolve("local"), out);   // each once: as many records as cells
        assertTrue(Files.readString(out.resolve(SparkCompare.LOG)).contains("Lost executor"),
                "the driver saw the executor go and ran its cells elsewhere");
    }

    private static int cellsIn(Path out) throws IOException {
        Path cells = out.resolve(CellStore.CELLS);
        if (!Files.isDirectory(cells)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(cells)) {
            return (int) s.filter(p -> p.getFileName().toString().endsWith(".json")).count();
        }
    }

    private static Map<Path, byte[]> records(Path out) {
        Map<Path, byte[]> m = new HashMap<>();
        try (Stream<Path> s = Files.list(out.resolve(CellStore.CELLS))) {
            for (Path p : s.toList()) {
                m.put(p, Files.readAllBytes(p));
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return m;
    }

    private static Process start(String name, List<String> mainAndArgs, Path sparkHome) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", sparkHome.resolve("jars") + File.separator + "*"));
        command.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(cluster.resolve(name + ".log").toFile());
        // What a Worker needs to launch executors from the jars alone (see /work/shared/SPARK-NOTES.md).
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private static Path jar(Path classes, Path jar) throws IOException {
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o);
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                j.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                try (InputStream in = Files.newInputStream(f)) {
                    in.transferTo(j);
                }
                j.closeEntry();
            }
        }
        return jar;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new AssertionError("the master did not open port " + port);
    }

    /** Waits for the master's JSON page to list {@code n} alive workers. */
    private static void awaitWorkers(int ui, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String json = "";
        while (System.nanoTime() < deadline) {
            try (InputStream in = URI.create("http://127.0.0.1:" + ui + "/json/").toURL().openStream()) {
                json = new String(in.readAllBytes());
                if (json.replace(" ", "").contains("\"aliveworkers\":" + n)) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(300);
        }
        throw new AssertionError("workers did not register: " + json);
    }
}
