package dev.stepwise.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.harness.Cell;
import dev.stepwise.harness.CellStore;
import dev.stepwise.harness.CellResult;
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
import dev.stepwise.harness.ScheduleNames;
import dev.stepwise.harness.ScoringSheet;
import dev.stepwise.harness.Summary;
import dev.stepwise.onnx.OnnxOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stepwise compare}: runs a comparison plan (a plan file, or the plan flags) and writes its report
 * folder. The whole plan is checked before anything runs; finished cells of an earlier run of the same plan
 * into the same folder are kept, so an interrupted run resumes where it stopped.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Compare samplers: run samplers x schedulers x steps (or NFE budgets) x cfg x prompts x seeds on a "
                + "model and write a report folder: CSV and JSON of every cell, a ranking in Markdown and HTML, image "
                + "grids and plots (quality, time and convergence against NFE).",
        footer = {"", "Give a plan file (JSON or YAML, see examples/compare/) or the plan flags, not both; --out, --parallel, "
                + "--device, --threads, --scores, --no-progress and --force go with either.",
                "Rerunning the same plan on the same model into the same --out folder skips the cells already done "
                        + "(Ctrl-C prints the command that resumes) and rebuilds the report: fill in REPORT/scoring-sheet.csv, "
                        + "save it as REPORT/scores.csv and rerun to add the human scores. A folder holding another plan's or "
                        + "model's report (a model file changed) is refused unless --force.",
                "Exit codes: 0 done, 1 a failure while running or writing, 2 a bad plan or a refused --out folder (nothing run, "
                        + "nothing written); Ctrl-C: 130.", "",
                "Examples:",
                "  stepwise compare examples/compare/quick.yaml --out reports/quick",
                "  stepwise compare --samplers euler,heun,dpmpp_2m --schedulers karras \\",
                "      --steps 5,10,20 --cfg 3 --prompt sneaker --prompt bag --seeds 1-4 \\",
                "      --out reports/mine"})
final class CompareCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "PLAN", description = "A plan file (.json, .yaml or .yml).")
    Path planFile;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR|URI", defaultValue = "compare-report",
            description = "Report folder (created; a folder of an earlier run of the same plan and model is resumed, "
                    + "another plan's or model's is refused unless --force; a symbolic link to a folder is followed;"
                    + " a path that is not a folder is refused; with --engine spark also hdfs://, s3a://... URIs)."
                    + " Default: ${DEFAULT-VALUE}.")
    String outOption;
    /** The report folder, when it is a local path (else only --engine spark's, through Hadoop). */
    Path out;

    @Option(names = "--name", paramLabel = "TEXT", description = "Report title. Default: \"comparison\".")
    String name;

    @Option(names = "--model", paramLabel = "NAME|DIR|gmm:SPEC",
            description = "Image model name under models/ or folder, or gmm:builtin / gmm:FILE.json. Default: fashion-eps.")
    String model;

    @Option(names = "--samplers", paramLabel = "NAME", split = ",", splitSynopsisLabel = ",",
            description = "Sampler names, or 'all' for the whole catalogue. Default: euler,dpmpp_2m.")
    List<String> samplers;

    @Option(names = "--schedulers", paramLabel = "NAME", split = ",", splitSynopsisLabel = ",",
            description = "Scheduler names, or 'all'; file:SCHEDULE.json is a schedule file fitted to the model. Default: karras.")
    List<String> schedulers;

    @Option(names = "-P", paramLabel = "[SAMPLER:]NAME=VALUE",
            description = "Sampler parameter, repeatable: -P eta=0.5 sets it for every listed sampler (each must have it), "
                    + "-P euler_ancestral:eta=0.5 for one; see 'stepwise list samplers'.")
    List<String> samplerParameters;

    @Option(names = "-S", paramLabel = "[SCHEDULER:]NAME=VALUE",
            description = "Scheduler parameter, repeatable, as -P: -S rho=5 or -S karras:rho=5.")
    List<String> schedulerParameters;

    @Option(names = "--steps", paramLabel = "N", split = ",", splitSynopsisLabel = ",", description = "Step counts. Default: 10,20 (unless --nfe).")
    List<Integer> steps;

    @Option(names = "--nfe", paramLabel = "N", split = ",", splitSynopsisLabel = ",",
            description = "NFE budgets instead of step counts: each sampler takes the most steps whose model calls fit.")
    List<Integer> nfe;

    @Option(names = "--cfg", paramLabel = "X", split = ",", splitSynopsisLabel = ",", description = "Guidance scales, each in [0, 100] (1 = no guidance). Default: 3 for image models, 1 for mixtures.")
    List<Double> cfg;

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "A prompt, repeatable (image models: class names with A1111 weights; mixtures: a label). "
                    + "Default: one unconditional prompt.")
    List<String> prompts;

    @Option(names = "--negative", paramLabel = "TEXT",
            description = "The negative prompt of the prompt at the same position, repeatable. Default: none.")
    List<String> negatives;

    @Option(names = "--seeds", paramLabel = "LIST", description = "Seeds: 42, 1-8, 1-4,10. Default: 1-4.")
    String seeds;

    @Option(names = "--batch", paramLabel = "N", description = "Rows per cell. Default: 1 (image models), 4096 (mixtures).")
    Integer batch;

    @Option(names = "--reference", paramLabel = "SAMPLER/SCHEDULER/STEPS|none",
            description = "The converged reference solve cells are measured against. Default: heun/karras/100.")
    String reference;

    @Option(names = "--drop-slowest", paramLabel = "N", description = "Images the normalized time leaves out. Default: 4.")
    Integer dropSlowest;

    @Option(names = "--checklist", paramLabel = "FILE", description = "Human-scoring checklist (YAML or JSON): writes a scoring sheet.")
    Path checklist;

    @Option(names = "--parallel", paramLabel = "N",
            description = "Cells run at once (0 = one per core); overrides the plan's. Default: the plan's, else 0.")
    Integer parallel;

    @Option(names = "--scores", paramLabel = "FILE",
            description = "A filled-in scoring sheet. Default: REPORT/scores.csv when it exists.")
    Path scores;

    @Mixin
    DeviceOptions onnx = new DeviceOptions();

    /** Where the cells run. */
    enum Engine { local, spark }

    @Option(names = "--engine", paramLabel = "local|spark", defaultValue = "local",
            description = "Where the cells run: local (this JVM's threads) or spark (Apache Spark: local[N], a standalone "
                    + "cluster or Kubernetes; a plan file only; see docs/spark.md). Default: ${DEFAULT-VALUE}.")
    Engine engine;

    @Option(names = "--master", paramLabel = "URL",
            description = "With --engine spark: Spark's master, local[N], spark://HOST:PORT or k8s://... Default: local[*].")
    String master;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "With --engine spark: a Spark setting, repeatable.")
    Map<String, String> sparkConf = new LinkedHashMap<>();

    @Option(names = "--verbose", description = "With --engine spark: show Spark's log (always in REPORT/spark.log).")
    boolean verbose;

    @Option(names = "--limit", paramLabel = LimitFlag.LABEL, description = LimitFlag.COMPARE)
    Map<String, String> limit = new LinkedHashMap<>();

    @Option(names = "--no-progress", description = "Never show the progress bar (it shows only on a terminal).")
    boolean noProgress;

    @Option(names = "--force", description = "Replace the --out folder's report when it is another plan's or model's: "
            + "its cells this plan does not share, its references and its generated report files are deleted, shared "
            + "cells are kept, then the run proceeds. Without it such a folder is refused.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        Limits limits = LimitFlag.parse(limit, Limits.NAMES.toArray(String[]::new));
        Plan plan = plan(limits);
        Path home = ModelFolders.home();
        List<Cell> cells = PlanCheck.check(plan, home, limits);
        int workers = plan.parallel() > 0 ? plan.parallel() : Runtime.getRuntime().availableProcessors();
        OnnxOptions options = onnx.options(workers, limits);
        if (!ReportFolder.isLocal(outOption)) {
            if (engine != Engine.spark) {
                throw new UsageException("--out '" + outOption + "' is a URI of another file system than the local"
                        + " one; only --engine spark writes there (through Hadoop's FileSystem API); give a folder");
            }
            return onSpark(stdout, spec.commandLine().getErr());   // the driver checks it there
        }
        out = Path.of(outOption);
        Outputs.checkFolder("--out", out);
        ReportFolder.checkNotSomeoneElses("--out", out);
        Checklist list = plan.checklist() == null ? null : Checklist.read(plan.checklist(), plan);
        Path scoresFile = scores != null ? scores : out.resolve(ScoringSheet.SCORES);
        if (scores != null && !Files.isRegularFile(scores)) {
            throw new UsageException("--scores '" + scores + "' does not exist");
        }

        PrintWriter stderr = spec.commandLine().getErr();
        if (engine == Engine.spark) {
            return onSpark(stdout, stderr);
        }
        if (master != null || !sparkConf.isEmpty() || verbose) {
            throw new UsageException("--master, --conf and --verbose go with --engine spark");
        }
        Summary summary = run(plan, cells, home, options, out, force, !noProgress, list, scoresFile, stderr,
                resumeCommand());
        stdout.println(CompareReport.doneLine(plan, cells.size(), summary, out));
        stdout.flush();
        return 0;
    }

    /**
     * The checked plan on Spark, in a child JVM that prints the progress and the summary line ({@link SparkEngine}).
     * The plan file goes to the executors as text, so the plan flags are not for this engine.
     */
    private int onSpark(PrintWriter stdout, PrintWriter stderr) throws IOException {
        if (planFile == null) {
            throw new UsageException("--engine spark runs a plan file (PLAN.yaml or .json), not the plan flags; see "
                    + "examples/compare/");
        }
        if (parallel != null) {
            throw new UsageException("--parallel is the local engine's; with --engine spark the master's task slots"
                    + " decide (local[N], the workers' cores)");
        }
        if (!onnx.device.equalsIgnoreCase("cpu") || onnx.threads != 0) {
            throw new UsageException("--device and --threads are the local engine's; with --engine spark a task runs"
                    + " on the GPU Spark gives it (spark.task.resource.gpu.amount), else on its spark.task.cpus cores");
        }
        String shown = out != null ? out.toString() : outOption;
        List<String> args = SparkEngine.arguments(planFile, shown, master, sparkConf, limit, scores, force, verbose);
        List<String> lines = new ArrayList<>();   // the summary line, printed once the bar is gone
        int code;
        try (CellProgress progress = new CellProgress(!noProgress, shown, stderr)) {
            code = SparkEngine.run(args, out, shown, progress, line -> {
                if (!line.kind().equals("timing")) {
                    lines.add(line.rest().isEmpty() ? line.kind() : line.kind() + " " + line.rest());
                }
            }, stderr, resumeCommand());
        }
        lines.forEach(stdout::println);
        stdout.flush();
        return code;
    }

    /**
     * Runs a checked plan into its report folder and writes the report: what compare does once its input is read,
     * shared with {@code tune}. Ctrl-C stops the run, keeps the finished cells and prints {@code resumeCommand}.
     *
     * @param scoresFile a filled-in scoring sheet, read when it exists and the plan has a checklist
     * @throws UsageException for a folder holding another plan's or model's report without {@code force}
     */
    static Summary run(Plan plan, List<Cell> cells, Path home, OnnxOptions options, Path out, boolean force,
                       boolean progressWanted, Checklist list, Path scoresFile, PrintWriter stderr, String resumeCommand)
            throws IOException {
        // The folder is made by the run (CellStore) once the harness has checked what only it can check (the
        // reference solve, the prompts against the model): a plan refused there leaves no folder behind.
        List<CellResult> results;
        try (ModelSource source = ModelSources.open(plan, home, options);
             OnInterrupt interrupt = new OnInterrupt(Comparison.ids(plan, cells, source), out, resumeCommand, stderr)) {
            try (CellProgress progress = new CellProgress(progressWanted, out.toString(), stderr)) {
                results = Comparison.run(plan, cells, source, out, progress, force);
            } catch (ReportFolder.MismatchException e) {
                throw new UsageException(e.refusal());
            } catch (IOException | RuntimeException | Error e) {
                interrupt.ifFiredHold();
                throw e;
            }
            interrupt.runEnded();
            return CompareReport.write(plan, cells, results, source, list, scoresFile, out);
        }
    }

    /**
     * This command line as a shell takes it, to resume the run: the launcher's path ({@code ./stepwise}, which
     * it passes as {@code stepwise.command}; "stepwise" without it) and the arguments as given.
     */
    private String resumeCommand() {
        return resumeCommand(spec);
    }

    /** The command line of {@code spec}'s run as a shell takes it (compare's, tune's), to resume it. */
    static String resumeCommand(CommandSpec spec) {
        String launcher = System.getProperty("stepwise.command");
        List<String> words = new ArrayList<>();
        words.add(launcher == null || launcher.isBlank() ? "stepwise" : launcher);
        words.addAll(spec.commandLine().getParseResult().originalArgs());
        return Main.quoted(words);
    }

    /** The plan from the file, or from the flags. */
    private Plan plan(Limits limits) {
        boolean flags = name != null || model != null || samplers != null || schedulers != null || steps != null
                || samplerParameters != null || schedulerParameters != null
                || nfe != null || cfg != null || prompts != null || negatives != null || seeds != null || batch != null
                || reference != null || dropSlowest != null || checklist != null;
        Plan p;
        if (planFile != null) {
            if (flags) {
                throw new UsageException("give either a plan file or plan flags (--samplers, --steps, ...), not both");
            }
            p = PlanReader.read(planFile);
        } else {
            p = fromFlags();
        }
        if (parallel != null) {
            if (parallel < 0) {
                throw new UsageException("--parallel " + parallel + " is not allowed; give 0 (one per core) or more");
            }
            LimitFlag.check("--parallel", parallel, limits.threads(), "threads", "cells at once", limits);
            p = p.withParallel(parallel);
        }
        return p;
    }

    /**
     * The plan the flags describe, read by the plan reader from the equivalent JSON so that flags and plan files
     * mean the same and are checked the same way.
     */
    private Plan fromFlags() {
        if (steps != null && nfe != null) {
            throw new UsageException("give --steps or --nfe, not both");
        }
        String m = model != null ? model : "fashion-eps";
        boolean mixture = m.startsWith("gmm:");
        ObjectNode plan = JSON.createObjectNode();
        plan.put("name", name != null ? name : "comparison");
        plan.put("model", m);
        plan.set("samplers", entries("-P", samplers != null ? samplers : List.of("euler", "dpmpp_2m"), Samplers.names(),
                name -> Samplers.names().contains(name) ? Samplers.get(name).parameters() : null, samplerParameters));
        // A schedule file (file:PATH, read by the plan reader relative to the working directory) has no parameters.
        plan.set("schedulers", entries("-S", schedulers != null ? schedulers : List.of("karras"), Schedulers.names(),
                name -> ScheduleNames.isFile(name) ? List.of()
                        : Schedulers.names().contains(name) ? Schedulers.get(name).parameters() : null,
                schedulerParameters));
        ArrayNode axis = plan.putArray(nfe != null ? "nfe" : "steps");
        (nfe != null ? nfe : steps != null ? steps : List.of(10, 20)).forEach(axis::add);
        ArrayNode scales = plan.putArray("cfg");
        (cfg != null ? cfg : List.of(Plan.defaultCfg(m))).forEach(scales::add);
        List<String> texts = prompts != null ? prompts : List.of("");
        List<String> negs = negatives != null ? negatives : List.of();
        if (negs.size() > texts.size()) {
            throw new UsageException(negs.size() + " --negative for " + texts.size() + " --prompt; give at most one "
                    + "negative per prompt (the n-th --negative goes with the n-th --prompt)");
        }
        ArrayNode ps = plan.putArray("prompts");
        for (int i = 0; i < texts.size(); i++) {
            ps.addObject().put("prompt", texts.get(i)).put("negative", i < negs.size() ? negs.get(i) : "");
        }
        plan.put("seeds", seeds != null ? seeds : "1-4");
        plan.put("batch", batch != null ? batch : mixture ? 4096 : 1);
        if (reference != null) {
            plan.set("reference", reference(reference));
        }
        if (dropSlowest != null) {
            plan.put("drop_slowest", dropSlowest);
        }
        if (checklist != null) {
            plan.put("checklist", checklist.toAbsolutePath().toString());
        }
        try {
            return PlanReader.parse(JSON.writeValueAsBytes(plan), false, "command line", Path.of("").toAbsolutePath());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the flags as a plan", e);
        }
    }

    /**
     * The plan's sampler (or scheduler) entries for the listed names ("all" = the whole registry) with the -P (-S)
     * parameters: NAME=VALUE goes to every listed entry, each of which must have it; OWNER:NAME=VALUE to that entry
     * (the owner is what precedes the last colon, so that file:s.json:rho=5 names the schedule file).
     *
     * @param parametersOf an entry's parameters, or null for a name the plan check will refuse
     */
    private static ArrayNode entries(String flag, List<String> listed, List<String> all,
                                     Function<String, List<Parameter>> parametersOf, List<String> settings) {
        List<String> names = new ArrayList<>();
        for (String n : listed) {
            if (n.strip().equals("all")) {
                names.addAll(all);
            } else {
                names.add(n.strip());
            }
        }
        Map<String, ObjectNode> params = new LinkedHashMap<>();
        for (String setting : settings != null ? settings : List.<String>of()) {
            int eq = setting.indexOf('=');
            if (eq <= 0) {
                throw new UsageException(flag + " '" + setting + "' is not allowed; give NAME=VALUE or OWNER:NAME=VALUE");
            }
            String key = setting.substring(0, eq).strip(), value = setting.substring(eq + 1).strip();
            int colon = key.lastIndexOf(':');
            String owner = colon < 0 ? null : key.substring(0, colon).strip(), name = key.substring(colon + 1).strip();
            if (owner != null && !names.contains(owner)) {
                throw new UsageException(flag + " " + setting + ": '" + owner + "' is not one of the listed " + String.join(", ", names));
            }
            for (String n : owner != null ? List.of(owner) : names) {
                List<Parameter> declared = parametersOf.apply(n);
                boolean has = declared == null || declared.stream().anyMatch(p -> p.name().equals(name));
                if (!has) {
                    throw new UsageException(flag + " " + setting + ": " + n + " has no parameter '" + name + "'"
                            + (declared.isEmpty() ? " (it has none)" : "") + "; name the one it is for, as " + flag
                            + " OWNER:" + name + "=" + value);
                }
                ObjectNode p = params.computeIfAbsent(n, k -> JSON.createObjectNode());
                try {
                    p.put(name, Double.parseDouble(value));
                } catch (NumberFormatException e) {
                    p.put(name, value);
                }
            }
        }
        ArrayNode a = JSON.createArrayNode();
        for (String n : names) {
            if (params.containsKey(n)) {
                a.addObject().put("name", n).set("params", params.get(n));
            } else {
                a.add(n);
            }
        }
        return a;
    }

    /** "heun/karras/100" or "none". */
    static JsonNode reference(String spec) {
        if (spec.strip().equalsIgnoreCase("none")) {
            return JSON.getNodeFactory().booleanNode(false);
        }
        String[] parts = spec.strip().split("/");
        if (parts.length != 3) {
            throw new UsageException("--reference '" + spec + "' is not allowed; give SAMPLER/SCHEDULER/STEPS such as "
                    + "heun/karras/100, or none");
        }
        ObjectNode r = JSON.createObjectNode().put("sampler", parts[0]).put("scheduler", parts[1]);
        try {
            r.put("steps", Integer.parseInt(parts[2]));
        } catch (NumberFormatException e) {
            throw new UsageException("--reference '" + spec + "': steps '" + parts[2] + "' is not a whole number");
        }
        return r;
    }

    /**
     * Ctrl-C (or a kill) during a run: a JVM shutdown hook, which stops the run, waits for it to unwind (the
     * cells in flight are dropped; finished ones are already written) and says on stderr how many cells are
     * kept and the command that resumes. The command's thread never goes on after that: it would close the
     * model under workers still in it and print a second message.
     */
    private static final class OnInterrupt implements AutoCloseable {
        private final Thread hook;
        private final Thread runner = Thread.currentThread();
        private final CountDownLatch unwound = new CountDownLatch(1);
        private final Object lock = new Object();
        private boolean running = true;   // in Comparison.run: the hook interrupts the runner and waits for it
        private boolean fired;

        OnInterrupt(List<String> ids, Path out, String command, PrintWriter err) {
            hook = new Thread(() -> {
                boolean stop;
                synchronized (lock) {
                    fired = true;
                    stop = running;
                }
                if (stop) {
                    runner.interrupt();
                    try {
                        unwound.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                long kept = ids.stream().filter(id -> Files.isRegularFile(out.resolve(CellStore.CELLS).resolve(id + ".json")))
                        .count();
                err.println("stepwise compare: interrupted; " + kept + " of " + ids.size() + " cells are kept in " + out);
                err.println("resume with: " + command);
                err.flush();
            }, "stepwise-compare-interrupted");
            Runtime.getRuntime().addShutdownHook(hook);
        }

        /** After Comparison.run returned: an interrupt from now on only prints (the report is written atomically). */
        void runEnded() {
            boolean hold;
            synchronized (lock) {
                running = false;
                hold = fired;
            }
            if (hold) {
                ifFiredHold();
            }
        }

        /** When the hook has fired (the run's failure is its interrupt): lets it print, then waits for the exit. */
        void ifFiredHold() {
            synchronized (lock) {
                if (!fired) {
                    return;
                }
            }
            unwound.countDown();
            while (true) {
                try {
                    hook.join();
                    Thread.sleep(Long.MAX_VALUE);   // the JVM halts once the hooks are done
                } catch (InterruptedException e) {
                    // keep waiting: nothing may be printed after the hook's message
                }
            }
        }

        @Override
        public void close() {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // The JVM is shutting down: the hook runs (or has run).
            }
        }
    }

    /** A bar over the plan's cells with ETA, on a terminal only; a line on stderr for a resumed or replaced report. */
    private static final class CellProgress implements Comparison.Listener, AutoCloseable {
        private final boolean wanted;
        private final String out;
        private final PrintWriter err;
        private me.tongfei.progressbar.ProgressBar bar;

        CellProgress(boolean wanted, String out, PrintWriter err) {
            this.wanted = Progress.shown(wanted);
            this.out = out;
            this.err = err;
        }

        @Override
        public void replaced(String difference, int removed) {
            err.println("stepwise compare: --force: removed " + removed + (removed == 1 ? " cell" : " cells") + " from "
                    + out + ", which held " + difference);
            err.flush();
        }

        @Override
        public void started(int total, int alreadyDone) {
            if (alreadyDone > 0) {
                err.println(alreadyDone == total
                        ? "stepwise compare: all " + total + " cells already in " + out + "; rebuilding the report"
                        : "stepwise compare: resuming: " + alreadyDone + " of " + total + " cells already in " + out
                                + ", running " + (total - alreadyDone));
                err.flush();
            }
            if (wanted && alreadyDone < total) {
                bar = Progress.bar("compare", total, " cells");
                bar.stepTo(alreadyDone);
            }
        }

        @Override
        public void cellDone(CellResult r, int done, int total) {
            if (bar != null) {
                bar.stepTo(done);
            }
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
            }
        }
    }
}
