package dev.stepwise.harness.fit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.guidance.Conditions;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.harness.CallTimer;
import dev.stepwise.harness.MixtureSource;
import dev.stepwise.harness.ModelSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Schedule files fitted to a model, with the provenance their {@code details} record: what {@code stepwise
 * optimize-schedule} writes and what {@code stepwise tune} fits on the spot, made by one piece of code.
 */
public final class FittedSchedules {
    private FittedSchedules() {
    }

    /**
     * A VRG fit and its file.
     *
     * @param seconds the optimiser's wall time
     */
    public record VrgResult(ScheduleFile file, Vrg.Fit fit, double seconds) {
    }

    /**
     * VRG from a base list ({@link BaseSchedules}) on a measured error curve.
     *
     * @param curveFile how the details name the curve (its path as given)
     * @param from      the base list's name
     * @param radius    the search's bound ({@link Vrg#fit(SamplerInfo, Map, ModelSampling, double[],
     *                  java.util.function.DoubleUnaryOperator, double)}), infinite for none
     * @throws IllegalArgumentException for a curve of another model, a bad base name or step count
     */
    public static VrgResult vrg(SamplerInfo info, Map<String, Object> parameters, String modelName, ModelSampling sampling,
                                ErrorCurve errors, String curveFile, String from, int steps, double radius) {
        errors.requireModel(modelName, sampling);
        double[] base = BaseSchedules.sigmas(from, sampling, steps, info);
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
        curveNode.put("file", curveFile);
        curveNode.put("data", errors.data());
        curveNode.put("conditioning", errors.conditioning());
        curveNode.put("samples", errors.samples());
        curveNode.put("levels", errors.levels());
        curveNode.put("seed", errors.seed());
        var baseNode = details.putArray("base_sigmas");
        for (double s : fit.base()) {
            baseNode.add(s);
        }
        return new VrgResult(ScheduleFile.of("vrg", modelName, sampling, info.name(), from, fit.sigmas(), details), fit,
                seconds);
    }

    /**
     * What a GITS fit is given.
     *
     * @param steps        steps of the fitted list (that many positive levels, then 0)
     * @param coeff        the DP's coefficient
     * @param metric       the cost of one Euler jump against the teacher
     * @param warmup       warm-up trajectories
     * @param teacherSteps the teacher's steps (levels - 1)
     * @param seed         the warm-up noise's seed
     * @param cfg          the guidance scale of the teacher's runs
     */
    public record GitsSettings(int steps, double coeff, Gits.Metric metric, int warmup, int teacherSteps, long seed,
                               double cfg) {
        /** The authors' settings ({@link Gits}'s defaults) at this step count, seed 0. */
        public static GitsSettings defaults(int steps, double cfg) {
            return new GitsSettings(steps, Gits.DEFAULT_COEFF, Gits.Metric.dev, Gits.DEFAULT_WARMUP, Gits.TEACHER_STEPS, 0,
                    cfg);
        }

        /** Memory the teacher's trajectories take: states and estimates at every level, float32. */
        public long bytes(int valuesPerSample) {
            return 2L * (teacherSteps + 1) * warmup * valuesPerSample * Float.BYTES;
        }
    }

    /**
     * A GITS fit and its file.
     *
     * @param levels  the teacher's levels
     * @param path    the DP's choice among them
     * @param seconds the whole fit's wall time (teacher, costs, DP)
     */
    public record GitsResult(ScheduleFile file, double[] levels, Gits.Path path, double seconds) {
    }

    /**
     * GITS fitted on the model: the teacher's trajectories from {@code warmup} noises (mixtures unconditional, image
     * models the classes in turn), the cost matrix, the DP.
     *
     * @param teacher told after each teacher step
     * @param costs   told after each cost row
     */
    public static GitsResult gits(ModelSource source, GitsSettings s, FitProgress teacher, FitProgress costs) {
        long t0 = System.nanoTime();
        Model m = source.model(new CallTimer());
        ModelSampling sampling = m.sampling();
        double[] levels = Gits.teacherLevels(sampling, s.teacherSteps());
        boolean mixture = source instanceof MixtureSource;
        Conditions conditions = warmupConditions(source, mixture, s.warmup());
        float[] noise = new float[s.warmup() * m.sampleSize()];
        new TorchGenerator(s.seed()).randn(noise);
        Gits.Trajectory trajectory = Gits.teacher(m, Gits.TEACHER, levels, noise, conditions, s.cfg(), teacher);
        double[][] matrix = Gits.costs(trajectory, s.metric(), costs);
        // N steps of the engine are N positive levels and the step to 0: the DP joins the N levels by N - 1 of the
        // teacher's jumps. (The released code's num_steps counts time points and stops at sigma_min: its NFE 5 is
        // six levels; here a 5-step list costs 5 calls of a one-call sampler, as karras's 5 steps do.)
        Gits.Path path = Gits.path(matrix, s.steps() - 1, s.coeff());
        double seconds = (System.nanoTime() - t0) / 1e9;
        double[] sigmas = path.sigmas(levels);

        ObjectNode details = JsonNodeFactory.instance.objectNode();
        details.put("objective", "sum_k coeff^(k-1) C[i_k][i_(k+1)]: C is one Euler step from the teacher's level "
                + "against the teacher's state at the next chosen level (Chen et al. 2024; docs/vrg.md)");
        details.put("coeff", s.coeff());
        details.put("metric", s.metric().name());
        details.put("cost_sampler", "euler");
        details.put("dp_cost", path.cost());
        details.put("warmup", s.warmup());
        details.put("seed", s.seed());
        details.put("cfg", s.cfg());
        details.put("conditioning", mixture ? "unconditional" : "class-conditional: the classes in turn");
        details.put("teacher_sampler", Gits.TEACHER);
        details.put("teacher_levels_rule", "karras rho 7 over the model's [sigma_min, sigma_max], no 0 (the teacher "
                + "stops at sigma_min; the list's final step to 0 is appended)");
        var levelsNode = details.putArray("teacher_levels");
        for (double l : levels) {
            levelsNode.add(l);
        }
        var chosen = details.putArray("teacher_indices");
        for (int k : path.indices()) {
            chosen.add(k);
        }
        details.put("seconds", seconds);
        ScheduleFile file = ScheduleFile.of("gits", source.name(), sampling, "euler", "karras-" + levels.length + " teacher",
                sigmas, details);
        return new GitsResult(file, levels, path, seconds);
    }

    /** Mixtures: unconditional. Image models: the classes in turn, sample r with class r mod classes. */
    private static Conditions warmupConditions(ModelSource source, boolean mixture, int n) {
        List<String> classes = mixture ? List.of() : source.vocabulary();
        List<Conditioning> positive = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            positive.add(classes.isEmpty() ? Conditioning.NONE : source.parse(classes.get(r % classes.size()), "--warmup"));
        }
        return new Conditions(positive, Collections.nCopies(n, Conditioning.NONE));
    }
}
