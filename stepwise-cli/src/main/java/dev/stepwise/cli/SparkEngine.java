package dev.stepwise.cli;

import dev.stepwise.harness.CellStore;
import dev.stepwise.harness.Comparison;
import dev.stepwise.harness.ModelFolders;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code compare --engine spark}: runs the plan on Apache Spark in a child JVM (the stepwise-spark module's
 * SparkCompare driver), so that the CLI itself never loads Spark. The module is found in the repository the
 * launcher runs from and built when missing or older than its sources, as the launcher builds the CLI; its jars
 * can also be given ({@value #CLASSPATH_ENV}). The child's progress lines become the usual progress bar.
 */
final class SparkEngine {
    /** A classpath holding SparkCompare and Spark, instead of the repository's stepwise-spark build. */
    static final String CLASSPATH_ENV = "STEPWISE_SPARK_CLASSPATH";
    private static final String MAIN = "dev.stepwise.spark.SparkCompare";
    private static final String MODULE = "stepwise-spark";
    /** The modules whose sources the job jar is built from. */
    private static final List<String> SOURCES = List.of("stepwise-core", "stepwise-onnx", "stepwise-harness", MODULE);
    /** How long Ctrl-C waits for the child to stop its Spark context. */
    private static final long STOP_SECONDS = 10;

    private SparkEngine() {
    }

    /** A line of the child's stdout, as SparkCompare prints it. */
    record Line(String kind, String rest) {
        static Line parse(String line) {
            int sp = line.indexOf(' ');
            return sp < 0 ? new Line(line, "") : new Line(line.substring(0, sp), line.substring(sp + 1));
        }
    }

    /**
     * Runs the child and returns its exit code (0 done, 1 a failure, 2 bad input: it has printed its one line).
     *
     * @param args     SparkCompare's arguments (PLAN --out DIR ...)
     * @param out      the report folder when it is a local path, else null
     * @param shown    the report folder as messages name it
     * @param listener fed with the child's progress
     * @param other    stdout lines that are not progress (the summary line, timings)
     */
    static int run(List<String> args, Path out, String shown, Comparison.Listener listener, Consumer<Line> other,
                   PrintWriter err, String resumeCommand) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        if (Runtime.version().feature() >= 23) {
            command.add("--sun-misc-unsafe-memory-access=allow");   // Spark's Platform uses it; JDK 23+ warns
        }
        command.add("-Djava.awt.headless=true");
        command.add("-Dstepwise.models=" + ModelFolders.home());
        command.add("-cp");
        command.add(classpath(err));
        command.add(MAIN);
        command.addAll(args);
        Process child = new ProcessBuilder(command).start();
        child.getOutputStream().close();
        AtomicBoolean fired = new AtomicBoolean();
        Thread hook = new Thread(() -> {
            fired.set(true);
            interrupted(child, out, shown, err, resumeCommand);
        }, "stepwise-spark-interrupted");
        Runtime.getRuntime().addShutdownHook(hook);
        Thread errors = pump(new BufferedReader(new InputStreamReader(child.getErrorStream(), StandardCharsets.UTF_8)), err);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null && !fired.get()) {
                feed(Line.parse(line), listener, other, err);
            }
        } catch (IOException e) {
            holdIf(fired);
            throw e;
        }
        try {
            int code = child.waitFor();
            errors.join();
            holdIf(fired);
            Runtime.getRuntime().removeShutdownHook(hook);
            return code;
        } catch (InterruptedException e) {
            child.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while Spark ran", e);
        } catch (IllegalStateException e) {
            return 130;   // the JVM is shutting down (Ctrl-C): the hook prints what is kept
        }
    }

    /**
     * Once Ctrl-C's hook has fired, this thread prints nothing more (the hook says what is kept): it waits for the
     * JVM to halt, as the local engine's run does.
     */
    private static void holdIf(AtomicBoolean fired) {
        while (fired.get()) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // keep waiting: the JVM halts once the hooks are done
            }
        }
    }

    private static void feed(Line l, Comparison.Listener listener, Consumer<Line> other, PrintWriter err) {
        switch (l.kind()) {
            case "started" -> {
                String[] n = l.rest().split(" ");
                listener.started(Integer.parseInt(n[0]), Integer.parseInt(n[1]));
            }
            case "replaced" -> {
                int sp = l.rest().indexOf(' ');
                listener.replaced(l.rest().substring(sp + 1), Integer.parseInt(l.rest().substring(0, sp)));
            }
            case "cell-done" -> {
                String[] n = l.rest().split("/");
                listener.cellDone(null, Integer.parseInt(n[0]), Integer.parseInt(n[1]));
            }
            case "spark-ui" -> {
                err.println("stepwise compare: Spark UI at " + l.rest());
                err.flush();
            }
            default -> other.accept(l);
        }
    }

    private static Thread pump(BufferedReader from, PrintWriter to) {
        Thread t = new Thread(() -> {
            try (from) {
                String line;
                while ((line = from.readLine()) != null) {
                    to.println(line);
                    to.flush();
                }
            } catch (IOException e) {
                // the child is gone; its exit code says the rest
            }
        }, "stepwise-spark-stderr");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Ctrl-C: the child (which got it too) stops its context; the finished cells stay, the rerun continues. */
    private static void interrupted(Process child, Path out, String shown, PrintWriter err, String resumeCommand) {
        child.destroy();
        try {
            child.waitFor(STOP_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (out == null) {
            err.println("stepwise compare: interrupted; the finished cells are kept in " + shown);
        } else {
            long kept;
            try (Stream<Path> s = Files.list(out.resolve(CellStore.CELLS))) {
                kept = s.filter(p -> p.getFileName().toString().endsWith(".json")).count();
            } catch (IOException e) {
                kept = 0;
            }
            err.println("stepwise compare: interrupted; " + kept + " cells are kept in " + out);
        }
        err.println("resume with: " + resumeCommand);
        err.flush();
    }

    /**
     * The child's classpath: {@value #CLASSPATH_ENV} when set, else the repository's stepwise-spark build (the job
     * jar and Spark's jars), built first when missing or older than the sources.
     */
    static String classpath(PrintWriter err) throws IOException {
        String given = System.getenv(CLASSPATH_ENV);
        if (given == null) {
            given = System.getProperty("stepwise.spark.classpath");
        }
        if (given != null && !given.isBlank()) {
            return given;
        }
        String home = System.getProperty("stepwise.home");
        if (home == null || home.isBlank() || !Files.isRegularFile(Path.of(home, MODULE, "pom.xml"))) {
            throw new UsageException("--engine spark: the stepwise-spark module is not here (run the repository's"
                    + " ./stepwise launcher, or set " + CLASSPATH_ENV + " to its job jar and Spark's jars)");
        }
        Path root = Path.of(home);
        Path target = root.resolve(MODULE).resolve("target");
        Path jar = target.resolve("stepwise-spark-job.jar");
        if (needsBuild(root, jar)) {
            build(root, target, err);
        }
        return jar + File.pathSeparator + target.resolve("spark-jars").resolve("*");
    }

    private static boolean needsBuild(Path root, Path jar) throws IOException {
        if (!Files.isRegularFile(jar) || !Files.isDirectory(jar.resolveSibling("spark-jars"))) {
            return true;
        }
        FileTime built = Files.getLastModifiedTime(jar);
        List<Path> paths = new ArrayList<>(List.of(root.resolve("pom.xml")));
        for (String m : SOURCES) {
            paths.add(root.resolve(m).resolve("pom.xml"));
            paths.add(root.resolve(m).resolve("src"));
        }
        for (Path p : paths) {
            if (!Files.exists(p)) {
                continue;
            }
            try (Stream<Path> s = Files.walk(p)) {
                if (s.anyMatch(f -> newer(f, built))) {
                    return true;
                }
            } catch (UncheckedIOException e) {
                return true;   // when in doubt, build
            }
        }
        return false;
    }

    private static boolean newer(Path f, FileTime than) {
        try {
            return Files.isRegularFile(f) && Files.getLastModifiedTime(f).compareTo(than) > 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Builds the module as the launcher builds the CLI: quietly, its log shown only when it fails. */
    private static void build(Path root, Path target, PrintWriter err) throws IOException {
        Files.createDirectories(target);
        Path log = target.resolve("spark-build.log");
        err.println("stepwise compare: building the Spark engine (first run or sources changed; log: "
                + root.relativize(log) + ")...");
        err.flush();
        Process p = new ProcessBuilder(root.resolve("mvnw").toString(), "-q", "-B", "-ntp", "-DskipTests", "-pl", MODULE,
                "-am", "package").directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        int code;
        try {
            code = p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while building the Spark engine", e);
        }
        if (code != 0) {
            err.println("stepwise compare: the build failed; its output (" + log + "):");
            err.print(Files.readString(log));
            err.flush();
            throw new IOException("building the Spark engine failed (log: " + log + ")");
        }
    }

    /** SparkCompare's arguments for a compare command line's engine options. */
    static List<String> arguments(Path plan, String out, String master, Map<String, String> conf, Map<String, String> limits,
                                  Path scores, boolean force, boolean verbose) {
        List<String> a = new ArrayList<>(List.of(plan.toString(), "--out", out));
        if (master != null) {
            a.addAll(List.of("--master", master));
        }
        conf.forEach((k, v) -> a.addAll(List.of("--conf", k + "=" + v)));
        limits.forEach((k, v) -> a.addAll(List.of("--limit", k + "=" + v)));
        if (scores != null) {
            a.addAll(List.of("--scores", scores.toString()));
        }
        if (force) {
            a.add("--force");
        }
        if (verbose) {
            a.add("--verbose");
        }
        return a;
    }
}
