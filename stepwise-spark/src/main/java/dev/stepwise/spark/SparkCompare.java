package dev.stepwise.spark;

import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.harness.Cell;
import dev.stepwise.harness.CellResult;
import dev.stepwise.harness.CellStore;
import dev.stepwise.harness.Checklist;
import dev.stepwise.harness.CompareReport;
import dev.stepwise.harness.Comparison;
import dev.stepwise.harness.Limits;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.harness.ModelSource;
import dev.stepwise.harness.ModelSources;
import dev.stepwise.harness.Plan;
import dev.stepwise.harness.PlanCheck;
import dev.stepwise.harness.PlanReader;
import dev.stepwise.harness.ReportFolder;
import dev.stepwise.harness.ScoringSheet;
import dev.stepwise.harness.Summary;
import dev.stepwise.onnx.OnnxOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * {@code stepwise compare} on Apache Spark, the driver: checks the plan exactly as the local engine does (the same
 * code, so the same messages, exit 2 before any task), finds the cells the report folder does not hold yet (the
 * resume rule), runs them as Spark tasks (one {@link CellTask} per partition of cell indices; images and samples
 * are written by the executors and never travel here), then reads the records back and writes the report.
 *
 * <pre>
 * spark-submit --class dev.stepwise.spark.SparkCompare stepwise-spark-job.jar PLAN --out DIR [--force]
 * java -cp stepwise-spark-job.jar:SPARK_JARS/* dev.stepwise.spark.SparkCompare PLAN --out DIR --master local[4]
 * </pre>
 *
 * <p>Its stdout is simple lines that {@code stepwise compare --engine spark} turns into its progress bar
 * ({@link #STARTED}, {@link #CELL_DONE}, ...); the last is the local engine's summary line. Spark's own log goes
 * to {@value #LOG} in the report folder ({@code --verbose} also shows it on stderr).
 */
public final class SparkCompare {
    /**
     * Where executors find model names (default: the job jar's built-in models for a built-in model, else the
     * driver's models folder, which they must mount too).
     */
    static final String MODELS_CONF = "spark.stepwise.models";
    /** Spark's log, in the report folder. */
    static final String LOG = "spark.log";
    /** The most tasks a job is split into: one cell per task up to this, then runs of cells. */
    static final int MAX_TASKS = 10_000;
    /** How long the driver tries to reach a standalone master before giving up. */
    static final int CONNECT_MILLIS = 5_000;

    /** "started TOTAL ALREADY_DONE": before any cell runs. */
    public static final String STARTED = "started";
    /** "replaced REMOVED DIFFERENCE": --force took over another report. */
    public static final String REPLACED = "replaced";
    /** "cell-done DONE/TOTAL", cells of the plan done so far (those found done included). */
    public static final String CELL_DONE = "cell-done";
    /** "spark-ui URL". */
    public static final String UI = "spark-ui";
    /**
     * "timing CONTEXT_S SETUP_S CELLS_S REPORT_S COMPUTED": the SparkContext's start, the executors' set-up (opening the
     * model), the cells' job, the report, and the cells computed.
     */
    public static final String TIMING = "timing";

    private static final String USAGE = "usage: SparkCompare PLAN [--out DIR] [--master URL] [--conf KEY=VALUE]..."
            + " [--limit NAME=N]... [--scores FILE] [--force] [--verbose]";

    private SparkCompare() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    /** A bad argument or plan: exit 2, nothing run. */
    private static final class Usage extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Usage(String message) {
            super(message);
        }
    }

    /** The parsed command line. */
    private static final class Args {
        Path plan;
        String out = "compare-report";
        String master;
        final Map<String, String> conf = new LinkedHashMap<>();
        Limits limits = Limits.DEFAULT;
        Path scores;
        boolean force;
        boolean verbose;

        static Args parse(String[] argv) {
            Args a = new Args();
            for (int i = 0; i < argv.length; i++) {
                String arg = argv[i];
                switch (arg) {
                    case "--force" -> a.force = true;
                    case "--verbose" -> a.verbose = true;
                    case "--out", "-o", "--master", "--conf", "--limit", "--scores" -> {
                        if (i + 1 >= argv.length) {
                            throw new Usage(arg + " needs a value; " + USAGE);
                        }
                        a.option(arg, argv[++i]);
                    }
                    default -> {
                        if (arg.startsWith("-")) {
                            throw new Usage("unknown option '" + arg + "'; " + USAGE);
                        }
                        if (a.plan != null) {
                            throw new Usage("one plan file, not '" + a.plan + "' and '" + arg + "'; " + USAGE);
                        }
                        a.plan = Path.of(arg);
                    }
                }
            }
            if (a.plan == null) {
                throw new Usage("give a plan file; " + USAGE);
            }
            return a;
        }

        private void option(String name, String value) {
            switch (name) {
                case "--out", "-o" -> out = value;
                case "--master" -> master = value;
                case "--scores" -> scores = Path.of(value);
                case "--conf", "--limit" -> {
                    int eq = value.indexOf('=');
                    if (eq <= 0) {
                        throw new Usage(name + " '" + value + "' is not allowed; give "
                                + (name.equals("--conf") ? "KEY=VALUE" : "NAME=N with NAME one of " + String.join(", ", Limits.NAMES)));
                    }
                    String key = value.substring(0, eq).strip(), v = value.substring(eq + 1).strip();
                    if (name.equals("--conf")) {
                        conf.put(key, v);
                    } else {
                        try {
                            limits = limits.with(key, Long.parseLong(v));
                        } catch (NumberFormatException e) {
                            throw new Usage("--limit " + value + ": '" + v + "' is not a whole number");
                        } catch (IllegalArgumentException e) {
                            throw new Usage("--limit " + value + ": " + e.getMessage());
                        }
                    }
                }
                default -> throw new IllegalStateException(name);
            }
        }
    }

    /** Runs the command line; returns the exit code: 0 done, 1 a failure while running, 2 bad input (nothing run). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        try {
            return compare(Args.parse(argv), out, err);
        } catch (Usage | IllegalArgumentException e) {
            err.println("stepwise compare: " + oneLine(e));
            return 2;
        } catch (IOException | UncheckedIOException e) {
            err.println("stepwise compare: " + oneLine(e));
            return 1;
        }
    }

    private static int compare(Args a, PrintStream out, PrintStream err) throws IOException {
        // The local engine's checks, in its order and with its messages (CompareCommand.call).
        Plan plan = PlanReader.read(a.plan);
        byte[] text = Files.readAllBytes(a.plan);
        Path home = ModelFolders.home();
        List<Cell> cells = PlanCheck.check(plan, home, a.limits);
        boolean local = ReportFolder.isLocal(a.out);
        // A folder on another file system is worked on in a local stage (StagedFolder), kept in step with it.
        Path dir = local ? localFolder(a.out) : Files.createTempDirectory("stepwise-spark-report-");
        try {
            return compare(a, plan, text, home, cells, dir, local, out);
        } finally {
            if (!local) {
                StagedFolder.remove(dir);
            }
        }
    }

    private static int compare(Args a, Plan plan, byte[] text, Path home, List<Cell> cells, Path dir, boolean local,
                               PrintStream out) throws IOException {
        if (local) {
            checkFolder(dir);
            ReportFolder.checkNotSomeoneElses("--out", dir);
        }
        Checklist list = plan.checklist() == null ? null : Checklist.read(plan.checklist(), plan);
        Path scoresFile = a.scores != null ? a.scores : dir.resolve(ScoringSheet.SCORES);
        if (a.scores != null && !Files.isRegularFile(a.scores)) {
            throw new Usage("--scores '" + a.scores + "' does not exist");
        }
        // Spark's classes log as soon as they load: none is touched before its log goes to the report folder.
        String master = setting(a, "spark.master", "local[*]");
        checkMaster(master);
        // A built-in model goes with the job jar unless the user points the executors at a models folder.
        String modelsHome = setting(a, MODELS_CONF, null);
        if (modelsHome == null) {
            modelsHome = BundledModels.has(plan.model()) ? BundledModels.HOME : home.toAbsolutePath().toString();
        }

        try (ModelSource source = ModelSources.open(plan, home, OnnxOptions.defaults().withThreads(1))) {
            SparkConf conf;
            Map<String, String> hadoop;
            String folder;
            StagedFolder stage = null;
            if (!local) {
                // Hadoop's file systems log too: the stage's log first, then the folder is opened and checked.
                logTo(dir.resolve(LOG), a.verbose);
                conf = sparkConf(a, plan, master);
                hadoop = hadoopSettings(conf);
                stage = open(a.out, hadoop, dir);
                folder = stage.folder().uri();
            } else {
                conf = null;
                hadoop = null;
                folder = dir.toAbsolutePath().toUri().toString();
            }
            boolean[] replaced = {false};
            Comparison.Pending pending;
            try {
                pending = Comparison.prepare(plan, cells, source, dir, new Comparison.Listener() {
                    @Override
                    public void replaced(String difference, int removed) {
                        replaced[0] = true;
                        out.println(REPLACED + " " + removed + " " + difference);
                    }

                    @Override
                    public void started(int total, int alreadyDone) {
                        out.println(STARTED + " " + total + " " + alreadyDone);
                    }
                }, a.force);
            } catch (ReportFolder.MismatchException e) {
                throw new Usage(stage == null ? e.refusal() : e.refusal().replace("'" + dir + "'", "'" + a.out + "'"));
            }
            String logShown;
            if (stage == null) {
                logTo(dir.resolve(LOG), a.verbose);
                conf = sparkConf(a, plan, master);
                hadoop = hadoopSettings(conf);
                try {
                    HadoopFolder.open(folder, hadoop).probe(CellStore.CELLS);
                } catch (IOException e) {
                    throw new Usage("--out '" + a.out + "' is not writable: " + oneLine(e));
                }
                logShown = dir.resolve(LOG).toString();
            } else {
                stage.afterPrepare(replaced[0], Set.copyOf(pending.ids()));
                logShown = folder + "/" + LOG;
            }
            long computed = 0;
            double startup = 0, job = 0;
            double[] setup = {0};
            try {
                if (!pending.todo().isEmpty()) {
                    long t0 = System.nanoTime();
                    JavaSparkContext sc;
                    try {
                        sc = new JavaSparkContext(conf);
                    } catch (RuntimeException e) {
                        throw new Usage("--master '" + master + "': Spark did not start: " + oneLine(e)
                                + " (Spark's log: " + logShown + ")");
                    }
                    try {
                        sc.sc().uiWebUrl().foreach(url -> {
                            out.println(UI + " " + url);
                            return null;
                        });
                        startup = (System.nanoTime() - t0) / 1e9;
                        long t1 = System.nanoTime();
                        computed = runCells(sc, PlanText.of(a.plan, text), pending, cells.size(),
                                modelsHome, source.key(), folder, hadoop, out, logShown, setup);
                        job = (System.nanoTime() - t1) / 1e9 - setup[0];
                    } finally {
                        sc.stop();
                    }
                }
                long t2 = System.nanoTime();
                if (stage != null) {
                    stage.pull();   // the records, samples and references the executors wrote
                }
                List<CellResult> results = pending.collect();
                Summary summary = CompareReport.write(plan, cells, results, source, list, scoresFile, dir);
                if (stage != null) {
                    stage.pushReport();
                }
                out.printf(Locale.ROOT, "%s %.3f %.3f %.3f %.3f %d%n", TIMING, startup, setup[0], job,
                        (System.nanoTime() - t2) / 1e9, computed);
                out.println(stage == null ? CompareReport.doneLine(plan, cells.size(), summary, dir)
                        : CompareReport.doneLine(plan, cells.size(), summary, folder + "/summary.md"));
                return 0;
            } finally {
                if (stage != null) {
                    stage.pushLog(LOG);
                }
            }
        }
    }

    /** The report folder on its file system, opened, checked writable and not someone else's, and staged. */
    private static StagedFolder open(String out, Map<String, String> hadoop, Path dir) throws IOException {
        StagedFolder stage;
        try {
            stage = new StagedFolder(HadoopFolder.open(out, hadoop), dir);
        } catch (IOException | RuntimeException e) {   // Hadoop reports a scheme without a connector unchecked too
            throw new Usage("--out '" + out + "' is not writable: " + oneLine(e));
        }
        // Before the probe, which makes the cells/ folder that would pass for a report's.
        stage.checkNotSomeoneElses("--out", out);
        try {
            stage.folder().probe(CellStore.CELLS);
        } catch (IOException e) {
            throw new Usage("--out '" + out + "' is not writable: " + oneLine(e));
        }
        stage.pull();
        return stage;
    }

    private static SparkConf sparkConf(Args a, Plan plan, String master) {
        SparkConf conf = new SparkConf(true).setAppName("stepwise compare: " + plan.name());
        a.conf.forEach(conf::set);
        conf.setMaster(master);
        // Spark's console progress bar would write over ours; ours counts cells, not tasks.
        conf.set("spark.ui.showConsoleProgress", "false");
        String jar = ownJar();
        if (!master.startsWith("local") && !conf.contains("spark.jars") && jar != null) {
            conf.set("spark.jars", jar);   // the executors need the job's classes; spark-submit sets it itself
        }
        return conf;
    }

    /** Runs the cells not done yet as Spark tasks; returns how many were computed. */
    private static long runCells(JavaSparkContext sc, PlanText text, Comparison.Pending pending, int total,
                                 String modelsHome, String modelKey, String folder, Map<String, String> hadoop,
                                 PrintStream out, String log, double[] setup) throws IOException {
        List<Integer> todo = pending.todo();
        int alreadyDone = total - todo.size();
        LongAccumulator computed = sc.sc().longAccumulator("stepwise cells computed");
        LongAccumulator finished = sc.sc().longAccumulator("stepwise cells finished");
        CellTask task = new CellTask(text, modelsHome, modelKey, folder, hadoop, computed, finished);
        AtomicBoolean running = new AtomicBoolean(true);
        // The driver's accumulators grow as tasks end: polled, they are the progress across the cluster.
        Thread progress = new Thread(() -> {
            long shown = -1;
            while (running.get()) {
                long n = finished.value();
                if (n != shown) {
                    out.println(CELL_DONE + " " + (alreadyDone + n) + "/" + total);
                    shown = n;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "stepwise-spark-progress");
        progress.setDaemon(true);
        progress.start();
        try {
            // Empty partitions, one per slot: each executor opens the model (and fails on one it cannot read) before
            // any cell, and the set-up is timed apart from the cells.
            long t = System.nanoTime();
            sc.parallelize(List.<Integer>of(), sc.defaultParallelism()).foreachPartition(task);
            setup[0] = (System.nanoTime() - t) / 1e9;
            sc.parallelize(todo, Math.min(todo.size(), MAX_TASKS)).foreachPartition(task);
        } catch (Exception e) {   // SparkException, checked, thrown undeclared from Scala
            String ours = TaskFailure.find(e);
            if (ours != null) {
                throw new Usage(ours);
            }
            throw new IOException("the Spark job failed: " + oneLine(e) + " (Spark's log: " + log
                    + "); the cells finished so far are kept", e);
        } finally {
            running.set(false);
            progress.interrupt();
        }
        out.println(CELL_DONE + " " + (alreadyDone + finished.value()) + "/" + total);
        return computed.value();
    }

    /** The report folder as a local path: a path, or a file: URI (on storage every executor mounts). */
    static Path localFolder(String out) {
        if (out.startsWith("file:")) {
            try {
                return Path.of(new URI(out));
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw new Usage("--out '" + out + "' is not a file: URI (" + oneLine(e) + "); give file:/ABSOLUTE/PATH");
            }
        }
        return Path.of(out);
    }

    private static void checkFolder(Path dir) {
        try {
            AtomicFiles.checkFolder(dir);
        } catch (IllegalArgumentException e) {
            throw new Usage("--out: " + e.getMessage());
        }
    }

    /**
     * A standalone master that does not answer is refused in a bounded wait: Spark itself retries for a minute
     * and then stops the context from another thread.
     */
    static void checkMaster(String master) {
        if (!master.startsWith("spark://")) {
            return;
        }
        List<String> tried = new ArrayList<>();
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            int port;
            try {
                port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new Usage("--master '" + master + "': '" + hostPort + "' is not HOST:PORT");
            }
            String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), CONNECT_MILLIS);
                return;
            } catch (IOException e) {
                tried.add(host + ":" + port + " (" + oneLine(e) + ")");
            }
        }
        throw new Usage("--master '" + master + "': no Spark master answers at " + String.join(", ", tried)
                + "; start the master or give another --master");
    }

    /** A Spark setting before Spark is loaded: --master or --conf, else spark-submit's (a system property). */
    private static String setting(Args a, String key, String fallback) {
        String v = key.equals("spark.master") && a.master != null ? a.master : a.conf.get(key);
        return v != null ? v : System.getProperty(key, fallback);
    }

    /** Spark's spark.hadoop.* settings without the prefix, as Spark passes them to Hadoop. */
    private static Map<String, String> hadoopSettings(SparkConf conf) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Tuple2<String, String> kv : conf.getAllWithPrefix("spark.hadoop.")) {
            m.put(kv._1(), kv._2());
        }
        return m;
    }

    /** Sends log4j's output (Spark's log) to {@code file}, and to stderr too when verbose. */
    static void logTo(Path file, boolean verbose) {
        System.setProperty("stepwise.spark.log", file.toAbsolutePath().toString());
        System.setProperty("stepwise.spark.console", verbose ? "info" : "off");
        try {
            Configurator.reconfigure(SparkCompare.class.getResource("/stepwise-spark-log4j2.properties").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The job jar this class was loaded from, or null (classes from a folder, as in tests). */
    private static String ownJar() {
        try {
            Path p = Path.of(SparkCompare.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(p) ? p.toString() : null;
        } catch (URISyntaxException | SecurityException e) {
            return null;
        }
    }

    static String oneLine(Throwable e) {
        return Comparison.oneLine(e);
    }
}
