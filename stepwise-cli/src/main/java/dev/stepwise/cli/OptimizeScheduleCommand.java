package dev.stepwise.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.guidance.Conditions;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.harness.CallTimer;
import dev.stepwise.harness.ImageSource;
import dev.stepwise.harness.Limits;
import dev.stepwise.harness.ModelSource;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.harness.ModelSources;
import dev.stepwise.harness.fit.BaseSchedules;
import dev.stepwise.harness.fit.ErrorCurve;
import dev.stepwise.harness.fit.FittedSchedules;
import dev.stepwise.harness.fit.Gits;
import dev.stepwise.harness.fit.ScheduleFile;
import dev.stepwise.harness.fit.Vrg;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.OnnxOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code stepwise optimize-schedule}: a sigma list fitted to one model and sampler at a fixed step count, written as
 * a schedule file that every command takes as {@code --scheduler file:FILE}. Everything is checked before the search
 * runs; the file appears only when complete.
 */
@Command(name = "optimize-schedule", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Fit a sigma list to a model and sampler at a fixed step count and write it as a schedule file "
                + "(use it as --scheduler file:FILE in generate, sample and compare).",
        footer = {"", "Method vrg (Variance-Reduction Guidance, Xu, Liu & Kong, arXiv 2510.21792): the list with the "
                + "least accumulated variance sum_k g_k^2 MSE_x0(sigma_k) of the model's prediction errors, where g_k is how "
                + "much of call k's error the sampler carries to the result (docs/vrg.md). The first and the last positive "
                + "sigma stay where the base schedule put them; deterministic fixed-step samplers only.",
                "The error curve comes from 'stepwise error-curve' (about 3 minutes for a built-in model) and is measured "
                        + "once per model: pass it with --curve.",
                "Method gits (Geometry-Inspired Time Scheduling, Chen et al., ICML 2024): iPNDM walks 61 Karras (rho 7) "
                        + "levels over the model's own sigma range from --warmup noises (image models: classes in turn, at "
                        + "--cfg); C[i][j] is how far one Euler step from the teacher's level i lands from its level j "
                        + "(--metric), and dynamic programming picks --steps of the levels, V[j][k] = min_i C[j][i] + coeff "
                        + "V[i][k-1], keeping the first and the last; then 0. No --curve or --sampler: the cost is Euler's, "
                        + "and the list serves any sampler.",
                "Exit codes: 0 done, 1 a failure while running or writing, 2 bad input (nothing written).", "",
                "Example:", "  stepwise error-curve --model fashion-eps -o eps-curve.json",
                "  stepwise optimize-schedule --method vrg --model fashion-eps --curve eps-curve.json \\",
                "      --sampler dpmpp_2m --steps 10 --from karras -o vrg-dpmpp_2m-10.json",
                "  stepwise generate --prompt sneaker --sampler dpmpp_2m --scheduler file:vrg-dpmpp_2m-10.json -o s.png",
                "  stepwise optimize-schedule --method gits --model fashion-eps --steps 5 -o gits-5.json"})
final class OptimizeScheduleCommand implements Callable<Integer> {

    enum Method { vrg, gits }

    /** About a minute of search at this size for a two-call sampler; far beyond the step counts fitting is for. */
    static final int MAX_STEPS = 200;

    @Spec
    CommandSpec spec;

    /** The most teacher steps: the trajectories are held in memory, (steps + 1) x 2 x warm-up samples. */
    static final int MAX_TEACHER_STEPS = 1000;

    @Option(names = "--method", paramLabel = "vrg|gits", defaultValue = "vrg", description = "Fitting method. Default: ${DEFAULT-VALUE}.")
    Method method;

    @Option(names = "--model", paramLabel = "NAME|DIR|gmm:SPEC.json", defaultValue = "fashion-eps",
            description = "The model the list is for (as in generate or compare). Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--curve", paramLabel = "FILE.json",
            description = "The model's error curve, from 'stepwise error-curve --model M -o FILE.json'. Required.")
    Path curve;

    @Option(names = "--sampler", paramLabel = "NAME", defaultValue = "dpmpp_2m",
            description = "The sampler the list is for (deterministic, fixed steps). Default: ${DEFAULT-VALUE}.")
    String sampler;

    @Option(names = "-P", paramLabel = "NAME=VALUE", description = "Sampler parameter, repeatable (see 'stepwise list samplers').")
    Map<String, String> samplerParameters = new LinkedHashMap<>();

    @Option(names = "--steps", paramLabel = "N", required = true,
            description = "Steps of the list (vrg: 2..200; gits: 2..the teacher's steps).")
    int steps;

    @Option(names = "--from", paramLabel = "NAME", defaultValue = "karras",
            description = "The base schedule the search starts from and takes its end points from: "
                    + BaseSchedules.NAMES_TEXT + ". Default: ${DEFAULT-VALUE}.")
    String from;

    @Option(names = "--radius", paramLabel = "R|inf", defaultValue = "0.25",
            description = "vrg: how far the search may go from the base list: each step's share of the log-sigma span changes "
                    + "by at most a factor e^(2R) (> 0; inf = unbounded, whose optimum degenerates: see docs/vrg.md). "
                    + "Default: ${DEFAULT-VALUE}.")
    String radiusText;

    @Option(names = "--coeff", paramLabel = "X", defaultValue = "" + Gits.DEFAULT_COEFF,
            description = "gits: the DP's weight of each later step's cost (> 0; the authors use 1.20 for Stable "
                    + "Diffusion only). Default: ${DEFAULT-VALUE}.")
    double coeff;

    @Option(names = "--metric", paramLabel = "dev|l1|l2", defaultValue = "dev",
            description = "gits: the step cost: dev (the Euler point's distance from the line through the trajectory's "
                    + "ends, less the teacher's, as the authors release it), l1 or l2 (norm of the Euler point minus the "
                    + "teacher's). Default: ${DEFAULT-VALUE}.")
    String metric;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "" + Gits.DEFAULT_WARMUP,
            description = "gits: teacher trajectories the costs average over. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--teacher-steps", paramLabel = "N", defaultValue = "" + Gits.TEACHER_STEPS,
            description = "gits: the teacher's steps (its levels less one). Default: ${DEFAULT-VALUE}.")
    int teacherSteps;

    @Option(names = "--cfg", paramLabel = "X",
            description = "gits: the teacher's guidance scale in [0, 100]. Default: 3 for image models, 1 for mixtures.")
    Double cfg;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "gits: the warm-up noise seed (torch.manual_seed; torch.randn(N, *shape)). Default: ${DEFAULT-VALUE}.")
    long seed;

    @Mixin
    DeviceOptions onnx = new DeviceOptions();

    @Option(names = "--no-progress", description = "Never show the progress bar (it shows only on a terminal).")
    boolean noProgress;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE.json", required = true,
            description = "Output schedule file." + Outputs.FILE_RULE)
    Path out;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        return method == Method.gits ? gits(stdout) : vrg(stdout);
    }

    private int vrg(PrintWriter stdout) throws IOException {
        if (curve == null) {
            throw new UsageException("--curve FILE.json is required: measure the model's error curve once with "
                    + "'stepwise error-curve --model " + model + " -o curve.json'");
        }
        if (steps < 2 || steps > MAX_STEPS) {
            throw new UsageException("--steps " + steps + " is not allowed; give 2.." + MAX_STEPS + " (a fitted list needs "
                    + "a level to move, and the search grows with the square of the steps)");
        }
        double radius = radius(radiusText);
        SamplerInfo info = Samplers.get(sampler);
        Map<String, Object> parameters = info.options(samplerParameters).asMap();
        String modelName;
        ModelSampling sampling;
        if (ModelSources.isMixture(model)) {
            var source = ModelSources.mixture(model, "--model");
            modelName = source.name();
            sampling = source.mixture().sampling();
        } else {
            Path dir = ModelFolders.resolve(model);
            ModelConfig config = ImageSource.config(dir);
            modelName = config.name();
            sampling = config.sampling();
        }
        ErrorCurve errors = ErrorCurve.read(curve);
        errors.requireModel(modelName, sampling);
        BaseSchedules.sigmas(from, sampling, steps, info);   // a bad base name is refused before --out is checked
        Outputs.checkFile("--out", out, "schedule.json");
        FittedSchedules.VrgResult result = FittedSchedules.vrg(info, parameters, modelName, sampling, errors,
                curve.toString(), from, steps, radius);
        Vrg.Fit fit = result.fit();
        double seconds = result.seconds();
        ScheduleFile file = result.file();
        try {
            file.write(out);
        } catch (IOException e) {
            throw new IOException("cannot write " + out + ": " + e, e);
        }
        stdout.printf(Locale.ROOT, "%s: %s, %d steps from %s on %s: accumulated variance %.6g -> %.6g (%+.1f %%), %d "
                        + "evaluations in %.1f s -> %s%n", method, info.name(), steps, from, modelName, fit.before(), fit.after(),
                100 * (fit.after() / fit.before() - 1), fit.evaluations(), seconds, out);
        stdout.flush();
        return 0;
    }

    /** --radius: a number > 0, or inf (also infinity) for an unbounded search. */
    static double radius(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        double r;
        if (t.equals("inf") || t.equals("infinity")) {
            r = Double.POSITIVE_INFINITY;
        } else {
            try {
                r = Double.parseDouble(t);
            } catch (NumberFormatException e) {
                r = Double.NaN;
            }
        }
        if (!(r > 0)) {
            throw new UsageException("--radius '" + text + "' is not allowed; give a number > 0, or inf for an unbounded search");
        }
        return r;
    }

    /** GITS: the teacher, its cost matrix and the DP (harness {@link Gits}); every input checked before the model opens. */
    private int gits(PrintWriter stdout) throws IOException {
        if (curve != null) {
            throw new UsageException("--curve is for --method vrg; gits measures its own teacher trajectories");
        }
        if (teacherSteps < 2 || teacherSteps > MAX_TEACHER_STEPS) {
            throw new UsageException("--teacher-steps " + teacherSteps + " is not allowed; give 2.." + MAX_TEACHER_STEPS);
        }
        if (steps < 2 || steps > teacherSteps) {
            throw new UsageException("--steps " + steps + " is not allowed; give 2.." + teacherSteps + " (a list picked from "
                    + "the teacher's " + (teacherSteps + 1) + " levels, first and last kept)");
        }
        if (!(coeff > 0 && Double.isFinite(coeff))) {
            throw new UsageException("--coeff " + coeff + " is not allowed; give a finite value > 0 (default "
                    + Gits.DEFAULT_COEFF + ")");
        }
        Gits.Metric cost;
        try {
            cost = Gits.Metric.valueOf(metric);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--metric '" + metric + "' is unknown; allowed: dev, l1, l2");
        }
        if (warmup < 1) {
            throw new UsageException("--warmup " + warmup + " is not allowed; give 1 or more trajectories");
        }
        double scale = cfg != null ? cfg : ModelSources.isMixture(model) ? 1 : 3;
        SamplingOptions.checkCfg(scale);
        boolean mixture = ModelSources.isMixture(model);
        Path dir = mixture ? null : ModelFolders.resolve(model);
        ModelConfig config = mixture ? null : ImageSource.config(dir);
        OnnxOptions options = mixture ? null : onnx.options(1, Limits.DEFAULT);
        Outputs.checkFile("--out", out, "schedule.json");

        try (ModelSource source = mixture ? ModelSources.mixture(model, "--model") : ImageSource.open(dir, null, options)) {
            FittedSchedules.GitsSettings settings = new FittedSchedules.GitsSettings(steps, coeff, cost, warmup, teacherSteps,
                    seed, scale);
            checkMemory(settings, source.model(new CallTimer()).sampleSize());
            FittedSchedules.GitsResult result;
            try (Progress.Phases progress = new Progress.Phases(!noProgress)) {
                result = FittedSchedules.gits(source, settings, progress.phase("GITS teacher", " steps")::at,
                        progress.phase("GITS costs", " levels")::at);
            }
            Gits.Path path = result.path();
            double[] levels = result.levels();
            double seconds = result.seconds();
            ScheduleFile file = result.file();
            try {
                file.write(out);
            } catch (IOException e) {
                throw new IOException("cannot write " + out + ": " + e, e);
            }
            stdout.printf(Locale.ROOT, "gits: %d steps from %d %s levels on %s (%d warm-up trajectories, cfg %s, metric %s, "
                            + "coeff %s): levels %s, DP cost %.6g in %.1f s -> %s%n", steps, levels.length, Gits.TEACHER,
                    source.name(), warmup, plain(scale), cost, plain(coeff), Arrays.toString(path.indices()),
                    path.cost(), seconds, out);
            stdout.flush();
        }
        return 0;
    }

    /**
     * Refuses a run whose trajectories cannot fit in the memory Java may use: every level's states and the teacher's
     * estimates, two float32 values per value of every warm-up sample and level.
     */
    private void checkMemory(FittedSchedules.GitsSettings settings, int valuesPerSample) {
        long needed = settings.bytes(valuesPerSample), max = Runtime.getRuntime().maxMemory();
        if (needed > max) {
            throw new UsageException("--warmup " + warmup + " trajectories of " + valuesPerSample + "-value samples over "
                    + (teacherSteps + 1) + " levels need about " + needed / (1 << 20) + " MiB, more than the " + max / (1 << 20)
                    + " MiB Java may use; use fewer --warmup or --teacher-steps, or give Java more (STEPWISE_JAVA_OPTS=-Xmx"
                    + (needed / (1L << 30) + 2) + "g)");
        }
    }

    private static String plain(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
