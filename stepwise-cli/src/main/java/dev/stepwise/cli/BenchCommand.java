package dev.stepwise.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.NetworkDenoiser;
import dev.stepwise.harness.Cell;
import dev.stepwise.harness.CellResult;
import dev.stepwise.harness.CompareReport;
import dev.stepwise.harness.Comparison;
import dev.stepwise.harness.ImageSource;
import dev.stepwise.harness.Limits;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.harness.ModelSource;
import dev.stepwise.harness.ModelSources;
import dev.stepwise.harness.Plan;
import dev.stepwise.harness.PlanCheck;
import dev.stepwise.harness.PlanReader;
import dev.stepwise.harness.ScheduleNames;
import dev.stepwise.harness.Summaries;
import dev.stepwise.harness.TimedNetwork;
import dev.stepwise.onnx.ImageModel;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.metrics.FeatureStats;
import dev.stepwise.onnx.sd.SdConditioning;
import dev.stepwise.onnx.sd.SdModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.tensor.Tensor;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code stepwise bench}: timings of whole runs (not run by the tests). */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Benchmarks of whole runs.", subcommands = {BenchCommand.Generate.class, BenchCommand.Compare.class,
                BenchCommand.Pipeline.class})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "give a benchmark: generate, compare or pipeline");
    }

    /**
     * {@code stepwise bench generate}: images per second of the image model at cfg 1 and 3, batch 1 and 16;
     * the share of each run's wall time spent outside the network's forward; and cond/uncond rows run as one
     * batched network call against two separate calls.
     */
    @Command(name = "generate", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
            description = "Time 'generate' on an image model: images/s at cfg 1 and 3, batch 1 and 16, the share of time "
                    + "outside the network, and batched cond/uncond against two separate network calls.")
    static final class Generate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", paramLabel = "NAME|DIR", defaultValue = "fashion-eps",
                description = "Model name under models/ or a model folder. Default: ${DEFAULT-VALUE}.")
        String model;

        @Option(names = "--sampler", paramLabel = "NAME", defaultValue = "euler", description = "Default: ${DEFAULT-VALUE}.")
        String sampler;

        @Option(names = "--scheduler", paramLabel = "NAME|file:FILE", defaultValue = "karras",
                description = "A scheduler name or file:SCHEDULE.json. Default: ${DEFAULT-VALUE}.")
        String scheduler;

        /** --scheduler resolved (a schedule file read) before the model is loaded. */
        private ScheduleNames.Entry schedulerEntry;

        @Mixin
        BenchRunOptions run = new BenchRunOptions(20);

        @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "sneaker", description = "Default: ${DEFAULT-VALUE}.")
        String prompt;

        @Option(names = "--seconds", paramLabel = "T", defaultValue = "3",
                description = "Measured time per configuration, after one warm-up run (> 0). Default: ${DEFAULT-VALUE}.")
        double seconds;

        @Override
        public Integer call() {
            OnnxOptions options = run.check();
            if (!(seconds > 0) || Double.isInfinite(seconds)) {
                throw new UsageException("--seconds " + seconds + " is not allowed; give a time > 0");
            }
            schedulerEntry = ScheduleNames.resolve(scheduler, null);
            PrintWriter out = spec.commandLine().getOut();
            try (ImageModel image = ImageModel.load(ModelFolders.resolve(model), options)) {
                ModelConfig c = image.config();
                schedulerEntry.checkFits(c.name(), c.sampling());
                TimedNetwork network = new TimedNetwork(image.network());
                Model m = new Model(c.name(), new NetworkDenoiser(network, c.sampling()), c.sampling(), c.sampleShape());
                Conditioning positive = image.prompt(prompt);
                out.printf(Locale.ROOT, "model %s, %s/%s, %d steps, prompt \"%s\", device %s, intra-op threads %s, %d cores, "
                                + "%.1f s per row%n", c.name(), sampler, scheduler, run.steps, prompt,
                        options.device().id(), run.onnx.threadsText(), Runtime.getRuntime().availableProcessors(), seconds);
                out.printf("%-4s %-6s %-10s %-10s %-9s %-12s %s%n", "cfg", "batch", "cond+unc", "images/s", "ms/image",
                        "net ms/run", "outside network");
                double[][] perRun = new double[2][2];
                int[] batches = {1, 16};
                for (double cfg : new double[] {1, 3}) {
                    for (int bi = 0; bi < batches.length; bi++) {
                        Timing t = time(m, network, positive, cfg, batches[bi], true);
                        out.printf(Locale.ROOT, "%-4s %-6d %-10s %-10.1f %-9.2f %-12.2f %.1f%%%n", GenerateCommand.plain(cfg),
                                batches[bi], cfg == 1 ? "-" : "batched", batches[bi] / t.seconds(),
                                1000 * t.seconds() / batches[bi], 1000 * t.networkSeconds(),
                                100 * (1 - t.networkSeconds() / t.seconds()));
                        out.flush();
                        if (cfg == 3) {
                            perRun[bi][0] = t.seconds();
                        }
                    }
                }
                for (int bi = 0; bi < batches.length; bi++) {
                    Timing t = time(m, network, positive, 3, batches[bi], false);
                    out.printf(Locale.ROOT, "%-4s %-6d %-10s %-10.1f %-9.2f %-12.2f %.1f%%%n", "3", batches[bi], "separate",
                            batches[bi] / t.seconds(), 1000 * t.seconds() / batches[bi], 1000 * t.networkSeconds(),
                            100 * (1 - t.networkSeconds() / t.seconds()));
                    perRun[bi][1] = t.seconds();
                }
                for (int bi = 0; bi < batches.length; bi++) {
                    out.printf(Locale.ROOT, "cfg 3, batch %d: two separate cond/uncond calls take %.2fx the time of one "
                            + "batched call%n", batches[bi], perRun[bi][1] / perRun[bi][0]);
                }
                out.flush();
            }
            return 0;
        }

        /** Seconds per run and seconds per run inside the network, averaged over the measured runs. */
        record Timing(double seconds, double networkSeconds) {
        }

        private Timing time(Model m, TimedNetwork network, Conditioning positive, double cfg, int batch, boolean batched) {
            SampleRequest request = schedulerEntry.apply(SampleRequest.builder(m).sampler(sampler), Map.of()).steps(run.steps)
                    .cfg(cfg).batch(batch).seed(1).prompt(positive).batchCondUncond(batched).build();
            Stepwise.sample(request); // warm-up
            network.reset();
            long start = System.nanoTime(), end;
            int runs = 0;
            do {
                Stepwise.sample(request);
                runs++;
                end = System.nanoTime();
            } while (end - start < seconds * 1e9);
            return new Timing((end - start) / 1e9 / runs, network.nanos() / 1e9 / runs);
        }
    }

    /**
     * {@code stepwise bench compare}: the comparison harness's own cost next to the model's. Runs a small plan on
     * an image model into a temporary folder (deleted afterwards) and splits each cell's wall time into the
     * model, the sampler around it, and the harness around the sampling (metrics, PNG, npy and JSON writes);
     * plus the one-off costs: opening the model, the reference solves, writing the report.
     */
    @Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
            description = "Time the harness of 'compare' against the model: per cell the model time, the sampler's time "
                    + "outside the model and the harness's time outside sampling; the reference solves and the report.",
            footer = {"", "The plan: samplers euler, dpmpp_2m, euler_ancestral; scheduler karras; steps 10, 20 (--steps); cfg 3; "
                    + "prompts sneaker, dress; seeds 1..N."})
    static final class Compare implements Callable<Integer> {
        static final List<String> SAMPLERS = List.of("euler", "dpmpp_2m", "euler_ancestral");
        static final List<String> PROMPTS = List.of("sneaker", "dress");

        @Spec
        CommandSpec spec;

        @Option(names = "--model", paramLabel = "NAME|DIR", defaultValue = "fashion-eps",
                description = "Image model name under models/ or a model folder. Default: ${DEFAULT-VALUE}.")
        String model;

        @Option(names = "--seeds", paramLabel = "N", defaultValue = "8",
                description = "Seeds 1..N per prompt and configuration (>= 1). Default: ${DEFAULT-VALUE}.")
        int seeds;

        @Option(names = "--reference", paramLabel = "SAMPLER/SCHEDULER/STEPS|none",
                description = "The converged reference solve. Default: heun/karras/100.")
        String reference;

        @Option(names = "--parallel", paramLabel = "N", defaultValue = "1",
                description = "Cells run at once (0 = one per core); above 1 the cells' times disturb each other. "
                        + "Default: ${DEFAULT-VALUE}.")
        int parallel;

        @Option(names = "--steps", paramLabel = "N", split = ",", splitSynopsisLabel = ",",
                description = "Step counts (longer cells: more steps). Default: 10,20.")
        List<Integer> steps = List.of(10, 20);

        @Option(names = "--engine", paramLabel = "local|spark", defaultValue = "local",
                description = "spark: run the plan with the local engine (--parallel N) and then on Spark (--master, "
                        + "default local[N]) and print both engines' cells per second, Spark's per-cell overhead and its "
                        + "fixed start-up cost. Default: ${DEFAULT-VALUE}.")
        CompareCommand.Engine engine;

        @Option(names = "--master", paramLabel = "URL", description = "With --engine spark: Spark's master. Default: local[N].")
        String master;

        @Mixin
        DeviceOptions onnx = new DeviceOptions();

        @Option(names = "--limit", paramLabel = LimitFlag.LABEL, description = LimitFlag.BENCH_COMPARE)
        Map<String, String> limit = new LinkedHashMap<>();

        @Override
        public Integer call() throws IOException {
            Limits limits = LimitFlag.parse(limit, "steps", "threads", "cells");
            if (seeds < 1) {
                throw new UsageException("--seeds " + seeds + " is not allowed; give a seed count >= 1");
            }
            if (parallel < 0) {
                throw new UsageException("--parallel " + parallel + " is not allowed; give 0 (one per core) or more");
            }
            LimitFlag.check("--parallel", parallel, limits.threads(), "threads", "cells at once", limits);
            if (ModelSources.isMixture(model)) {
                throw new UsageException("--model '" + model + "' is a mixture; this benchmark needs an image model");
            }
            int workers = parallel > 0 ? parallel : Runtime.getRuntime().availableProcessors();
            OnnxOptions options = onnx.options(workers, limits);
            Plan plan = plan();
            Path home = ModelFolders.home();
            List<Cell> cells = PlanCheck.check(plan, home, limits);
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "model %s, %d cells (%s x karras x steps %s x cfg 3 x %s x seeds 1-%d), %d at once, "
                            + "device %s, %d cores%n", plan.model(), cells.size(), String.join(",", SAMPLERS),
                    steps.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")),
                    String.join(",", PROMPTS), seeds, workers, onnx.device, Runtime.getRuntime().availableProcessors());
            out.flush();
            if (engine == CompareCommand.Engine.spark) {
                return onSpark(plan, cells, home, options, workers, out);
            }
            if (master != null) {
                throw new UsageException("--master goes with --engine spark");
            }

            Path dir = Files.createTempDirectory("stepwise-bench-compare");
            try {
                long t0 = System.nanoTime();
                List<CellResult> results;
                FeatureStats realStats;
                double openSeconds, runSeconds;
                try (ModelSource source = ModelSources.open(plan, home, options)) {
                    long t1 = System.nanoTime();
                    openSeconds = (t1 - t0) / 1e9;
                    results = Comparison.run(plan, cells, source, dir, null);
                    runSeconds = (System.nanoTime() - t1) / 1e9;
                    realStats = source instanceof ImageSource image ? image.referenceStats() : null;
                }
                Map<String, Double> stages = new LinkedHashMap<>();
                CompareReport.write(plan, cells, results, realStats, List.of(), null, null, dir, stages);
                print(out, results, workers, openSeconds, runSeconds, stages);
            } finally {
                deleteTree(dir);
            }
            return 0;
        }

        /**
         * The same plan with the local engine ({@code workers} at once) and on Spark (local[workers] unless --master),
         * each into its own temporary folder, in one run: cells per second of each, Spark's per-cell overhead (its
         * job's wall time over the local run's, the same cells on as many slots) and its fixed start-up cost (the
         * child JVM's wall time outside the job and the report: JVM, plan check, model, SparkContext).
         */
        private int onSpark(Plan plan, List<Cell> cells, Path home, OnnxOptions options, int workers, PrintWriter out)
                throws IOException {
            Path dir = Files.createTempDirectory("stepwise-bench-compare-spark");
            try {
                double local;
                try (ModelSource source = ModelSources.open(plan, home, options)) {
                    long t = System.nanoTime();
                    Comparison.run(plan, cells, source, dir.resolve("local"), null);
                    local = (System.nanoTime() - t) / 1e9;
                }
                Path planFile = Files.write(dir.resolve("plan.json"), planJson());
                String url = master != null ? master : "local[" + workers + "]";
                List<String> args = SparkEngine.arguments(planFile, dir.resolve("spark").toString(), url, Map.of(), limit,
                        null, false, false);
                SparkEngine.classpath(spec.commandLine().getErr());   // a build of the module is not Spark's start-up
                String[] timing = new String[1];
                long t = System.nanoTime();
                Path sparkOut = dir.resolve("spark");
                int code = SparkEngine.run(args, sparkOut, sparkOut.toString(), Comparison.Listener.NONE, line -> {
                    if (line.kind().equals("timing")) {
                        timing[0] = line.rest();
                    }
                }, spec.commandLine().getErr(), "stepwise bench compare --engine spark");
                double wall = (System.nanoTime() - t) / 1e9;
                if (code != 0 || timing[0] == null) {
                    return code != 0 ? code : Main.FAILURE;
                }
                String[] f = timing[0].split(" ");
                double context = Double.parseDouble(f[0]), setup = Double.parseDouble(f[1]);
                double job = Double.parseDouble(f[2]), report = Double.parseDouble(f[3]);
                double startup = wall - job - report;
                int n = cells.size();
                out.printf(Locale.ROOT, "local engine, %d at once: %d cells in %.3f s: %.2f cells/s, %.1f ms per cell and slot%n",
                        workers, n, local, n / local, 1000 * local * workers / n);
                out.printf(Locale.ROOT, "spark %s: %d cells in %.3f s: %.2f cells/s, %.1f ms per cell and slot%n",
                        url, n, job, n / job, 1000 * job * workers / n);
                out.printf(Locale.ROOT, "spark's per-cell overhead: %.1f ms per cell and slot, %+.1f %% of the local engine's%n",
                        1000 * (job - local) * workers / n, 100 * (job - local) / local);
                out.printf(Locale.ROOT, "spark's fixed start-up: %.2f s (the child JVM's %.2f s wall minus the cells and the "
                        + "report's %.2f s; of it the SparkContext %.2f s, the executors opening the model %.2f s)%n",
                        startup, wall, report, context, setup);
                out.printf(Locale.ROOT, "scaling model: time = %.2f s + cells x %.1f ms / slots (+ the report)%n", startup,
                        1000 * job * workers / n);
                out.flush();
                return 0;
            } finally {
                deleteTree(dir);
            }
        }

        /** The benchmark's plan, read by the plan reader like any other. */
        private Plan plan() {
            return PlanReader.parse(planJson(), false, "bench compare", Path.of("").toAbsolutePath());
        }

        /** The benchmark's plan as a plan file's JSON. */
        private byte[] planJson() {
            ObjectMapper json = new ObjectMapper();
            ObjectNode p = json.createObjectNode();
            p.put("name", "bench compare");
            p.put("model", model);
            SAMPLERS.forEach(p.putArray("samplers")::add);
            p.putArray("schedulers").add("karras");
            steps.forEach(p.putArray("steps")::add);
            p.put("cfg", 3);
            PROMPTS.forEach(p.putArray("prompts")::add);
            p.put("seeds", "1-" + seeds);
            p.put("parallel", parallel);
            if (reference != null) {
                p.set("reference", CompareCommand.reference(reference));
            }
            try {
                return json.writeValueAsBytes(p);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot encode the benchmark plan", e);
            }
        }

        private static void print(PrintWriter out, List<CellResult> results, int workers, double openSeconds,
                                  double runSeconds, Map<String, Double> stages) {
            out.printf("%-16s %6s %10s %12s %12s %14s %9s%n", "sampler", "cells", "model ms", "sampler ms", "harness ms",
                    "(median ms)", "harness");
            double cellSum = 0;
            for (String s : SAMPLERS) {
                row(out, s, results.stream().filter(r -> r.cell().config().sampler().name().equals(s)).toList());
            }
            row(out, "all", results);
            for (CellResult r : results) {
                cellSum += r.cellSeconds();
            }
            out.printf(Locale.ROOT, "(per cell, means: model = inside the network; sampler = sampling outside the network; "
                    + "harness = the cell outside sampling: metrics, PNG, npy, JSON, its median in brackets (the first "
                    + "cells, all euler, pay the JIT warm-up); the harness's share of the mean cell time)%n");
            out.printf(Locale.ROOT, "opening the model: %.2f s%n", openSeconds);
            if (workers == 1) {
                out.printf(Locale.ROOT, "reference solves (one-off, untimed in the cells): %.2f s (the run's %.2f s minus the "
                        + "cells' %.2f s)%n", runSeconds - cellSum, runSeconds, cellSum);
            } else {
                out.printf(Locale.ROOT, "run: %.2f s wall, cells %.2f s in all (cells overlapped, so the reference solves' time "
                        + "is not their difference; use --parallel 1)%n", runSeconds, cellSum);
            }
            double report = stages.values().stream().mapToDouble(Double::doubleValue).sum();
            StringBuilder parts = new StringBuilder();
            stages.forEach((k, v) -> parts.append(parts.isEmpty() ? "" : ", ").append(k).append(' ')
                    .append(String.format(Locale.ROOT, "%.2f s", v)));
            out.printf(Locale.ROOT, "writing the report (one-off): %.2f s (%s)%n", report, parts);
            out.flush();
        }

        private static void row(PrintWriter out, String label, List<CellResult> rs) {
            List<CellResult> ok = rs.stream().filter(r -> !r.failed()).toList();
            double model = 0, sampler = 0, harness = 0, cell = 0;
            for (CellResult r : ok) {
                model += r.networkSeconds();
                sampler += r.seconds() - r.networkSeconds();
                harness += r.cellSeconds() - r.seconds();
                cell += r.cellSeconds();
            }
            int n = ok.size();
            double median = Summaries.timing(ok.stream().mapToDouble(r -> r.cellSeconds() - r.seconds()).toArray(), 0)
                    .median();
            out.printf(Locale.ROOT, "%-16s %6d %10.2f %12.2f %12.2f %14.2f %8.1f%%%s%n", label, n, 1000 * model / n,
                    1000 * sampler / n, 1000 * harness / n, 1000 * median, 100 * harness / cell,
                    ok.size() == rs.size() ? "" : "  (" + (rs.size() - ok.size()) + " failed, left out)");
        }

        private static void deleteTree(Path dir) throws IOException {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * {@code stepwise bench pipeline}: one Stable Diffusion folder's parts timed as generate runs them: the text
     * encoders (positive and negative prompt), the UNet per call (cond and uncond rows batched, as generate sends
     * them), Stepwise's own share of sampling (the sampler and guidance outside the network), the VAE decode, and
     * the process's peak resident memory. The sessions are opened once and closed at the end.
     */
    @Command(name = "pipeline", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
            description = "Time a Stable Diffusion folder's parts: text encoding, seconds per UNet call (cond+uncond "
                    + "batched), Stepwise's share of a step, VAE decode, and peak RSS (VmHWM).")
    static final class Pipeline implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", paramLabel = "DIR", required = true,
                description = "A diffusers/optimum ONNX folder (e.g. from tools/sd/make_realsize.py).")
        Path model;

        @Mixin
        BenchRunOptions run = new BenchRunOptions(4);

        @Mixin
        SizeOptions size = new SizeOptions();

        @Option(names = "--cfg", paramLabel = "X", defaultValue = "7", description = "Default: ${DEFAULT-VALUE}.")
        double cfg;

        @Override
        public Integer call() {
            OnnxOptions options = run.check();
            size.check();
            if (!SdModel.isModelFolder(model)) {
                throw new UsageException("--model " + model + " is not allowed; give a diffusers/optimum ONNX folder "
                        + "(one with model_index.json)");
            }
            PrintWriter out = spec.commandLine().getOut();
            long t0 = System.nanoTime();
            try (SdModel sd = SdModel.load(model, options)) {
                double open = (System.nanoTime() - t0) / 1e9;
                int[] wh = size.resolve(sd.nativeSize());
                int w = wh[0], h = wh[1];
                out.printf(Locale.ROOT, "model %s (%s), %dx%d, %d steps euler/normal, cfg %s, device %s, intra-op threads "
                                + "%s, %d cores%n", sd.name(), sd.family().title(), w, h, run.steps, GenerateCommand.plain(cfg),
                        options.device().id(), run.onnx.threadsText(), Runtime.getRuntime().availableProcessors());
                out.printf(Locale.ROOT, "opening the sessions: %.2f s, peak RSS so far %s%n", open, peakRss());
                out.flush();
                sd.promptEncoder().encode("warm-up");
                long e0 = System.nanoTime();
                SdConditioning positive = sd.promptEncoder().encode("a photograph of an astronaut riding a horse");
                SdConditioning negative = sd.promptEncoder().encode("");
                double encode = (System.nanoTime() - e0) / 1e9;
                out.printf(Locale.ROOT, "text encoding (positive + negative prompt, after a warm-up): %.3f s%n", encode);
                out.flush();
                TimedNetwork network = new TimedNetwork(sd.network());
                Model m = sd.model(network, w, h);
                SampleRequest request = ScheduleNames.resolve("normal", null)
                        .apply(SampleRequest.builder(m).sampler("euler"), Map.of()).steps(run.steps).cfg(cfg).seed(1)
                        .prompt(positive).negative(negative).build();
                long s0 = System.nanoTime();
                SampleResult result = Stepwise.sample(request);
                double sampling = (System.nanoTime() - s0) / 1e9;
                double net = network.nanos() / 1e9;
                out.printf(Locale.ROOT, "UNet: %d calls, %d rows, %.3f s per call (mean, the first call's warm-up "
                                + "included)%n", network.calls(), network.rows(), net / network.calls());
                out.printf(Locale.ROOT, "sampling: %.3f s wall, of which outside the network (sampler, guidance): "
                        + "%.4f s = %.3f%% of a step; peak RSS so far %s%n", sampling, sampling - net,
                        100 * (sampling - net) / sampling, peakRss());
                out.flush();
                Tensor latents = result.samples();
                long d0 = System.nanoTime();
                sd.vae().decode(latents, 0);
                double decode = (System.nanoTime() - d0) / 1e9;
                out.printf(Locale.ROOT, "VAE decode (one image): %.3f s%n", decode);
                out.printf(Locale.ROOT, "peak RSS (VmHWM): %s%n", peakRss());
                out.flush();
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            return 0;
        }

        /** The process's peak resident set (Linux /proc/self/status VmHWM), or "unknown" elsewhere. */
        static String peakRss() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmHWM:")) {
                        long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                        return String.format(Locale.ROOT, "%.2f GiB", kb / 1024.0 / 1024.0);
                    }
                }
            } catch (IOException | RuntimeException e) {
                return "unknown";
            }
            return "unknown";
        }
    }
}
