package dev.stepwise.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.harness.ImageSource;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.harness.ModelSources;
import dev.stepwise.harness.fit.BaseSchedules;
import dev.stepwise.harness.fit.ErrorCurve;
import dev.stepwise.harness.fit.ScheduleFile;
import dev.stepwise.harness.fit.Vrg;
import dev.stepwise.onnx.ModelConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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
                "Exit codes: 0 done, 1 a failure while writing, 2 bad input (nothing written).", "",
                "Example:", "  stepwise error-curve --model fashion-eps -o eps-curve.json",
                "  stepwise optimize-schedule --method vrg --model fashion-eps --curve eps-curve.json \\",
                "      --sampler dpmpp_2m --steps 10 --from karras -o vrg-dpmpp_2m-10.json",
                "  stepwise generate --prompt sneaker --sampler dpmpp_2m --scheduler file:vrg-dpmpp_2m-10.json -o s.png"})
final class OptimizeScheduleCommand implements Callable<Integer> {

    enum Method { vrg }

    /** About a minute of search at this size for a two-call sampler; far beyond the step counts fitting is for. */
    static final int MAX_STEPS = 200;

    @Spec
    CommandSpec spec;

    @Option(names = "--method", paramLabel = "vrg", defaultValue = "vrg", description = "Fitting method. Default: ${DEFAULT-VALUE}.")
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

    @Option(names = "--steps", paramLabel = "N", required = true, description = "Steps of the list (2..200).")
    int steps;

    @Option(names = "--from", paramLabel = "NAME", defaultValue = "karras",
            description = "The base schedule the search starts from and takes its end points from: "
                    + BaseSchedules.NAMES_TEXT + ". Default: ${DEFAULT-VALUE}.")
    String from;

    @Option(names = "--radius", paramLabel = "R|inf", defaultValue = "0.25",
            description = "How far the search may go from the base list: each step's share of the log-sigma span changes "
                    + "by at most a factor e^(2R) (> 0; inf = unbounded, whose optimum degenerates: see docs/vrg.md). "
                    + "Default: ${DEFAULT-VALUE}.")
    String radiusText;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE.json", required = true,
            description = "Output schedule file." + Outputs.FILE_RULE)
    Path out;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
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
        double[] base = BaseSchedules.sigmas(from, sampling, steps, info);
        Outputs.checkFile("--out", out, "schedule.json");

        long t0 = System.nanoTime();
        Vrg.Fit fit = Vrg.fit(info, parameters, sampling, base, Vrg.x0Error(errors, sampling), radius);
        double seconds = (System.nanoTime() - t0) / 1e9;

        ObjectNode details = JsonNodeFactory.instance.objectNode();
        details.put("objective", "accumulated variance sum_k g_k^2 MSE_x0(sigma_k) (docs/vrg.md)");
        details.put("objective_before", fit.before());
        details.put("objective_after", fit.after());
        details.put("reduction", 1 - fit.after() / fit.before());
        details.put("optimiser", fit.optimiser());
        if (Double.isInfinite(radius)) {
            details.put("radius", "inf");
        } else {
            details.put("radius", radius);
        }
        details.put("evaluations", fit.evaluations());
        ObjectNode params = details.putObject("sampler_parameters");
        parameters.forEach((k, v) -> params.put(k, String.valueOf(v)));
        ObjectNode curveNode = details.putObject("curve");
        curveNode.put("file", curve.toString());
        curveNode.put("data", errors.data());
        curveNode.put("conditioning", errors.conditioning());
        curveNode.put("samples", errors.samples());
        curveNode.put("levels", errors.levels());
        curveNode.put("seed", errors.seed());
        var baseNode = details.putArray("base_sigmas");
        for (double s : fit.base()) {
            baseNode.add(s);
        }
        ScheduleFile file = ScheduleFile.of(method.name(), modelName, sampling, info.name(), from, fit.sigmas(), details);
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
}
