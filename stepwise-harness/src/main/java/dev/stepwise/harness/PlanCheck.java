package dev.stepwise.harness;

import dev.stepwise.core.guidance.ClassifierFreeGuidance;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.Scheduler;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.core.schedule.Sigmas;
import dev.stepwise.onnx.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Checks everything a plan can get wrong before anything runs or is written, without opening an ONNX
 * session: registry names and parameters, ranges, repeats, sizes against the {@link Limits} (the number of cells
 * too, counted from the axes), the reference solver, the checklist file, the model and every prompt against its
 * vocabulary, and that every scheduler gives a sigma list (and every NFE
 * budget a step count) on the model. The first problem is thrown as one line.
 */
public final class PlanCheck {
    private PlanCheck() {
    }

    /** {@link #check(Plan, Path, Limits)} with the default limits. */
    public static List<Cell> check(Plan plan, Path modelsHome) {
        return check(plan, modelsHome, Limits.DEFAULT);
    }

    /**
     * Checks the plan and returns its cells (as {@link Cells#expand}). Sizes are checked against the limits
     * before anything is expanded, so a plan of billions of cells is refused, not run out of memory.
     *
     * @param modelsHome the folder model names are looked up in (and the classifier under it)
     * @param limits     step counts, NFE budgets, batch, parallel cells and the number of cells
     * @throws PlanException naming the plan, the field and the bad value, and what is allowed
     */
    public static List<Cell> check(Plan plan, Path modelsHome, Limits limits) {
        String src = plan.source() + ": ";
        nonEmpty(plan, plan.samplers(), "samplers", "give sampler names or \"all\"");
        nonEmpty(plan, plan.schedulers(), "schedulers", "give scheduler names or \"all\"");
        for (int i = 0; i < plan.samplers().size(); i++) {
            Plan.SamplerSpec s = plan.samplers().get(i);
            try {
                Samplers.get(s.name()).options(s.parameters());
            } catch (IllegalArgumentException e) {
                throw new PlanException(src + "samplers[" + i + "]: " + e.getMessage());
            }
        }
        unique(plan, plan.samplers(), "samplers", Plan.SamplerSpec::label, "label");
        for (int i = 0; i < plan.schedulers().size(); i++) {
            Plan.SchedulerSpec s = plan.schedulers().get(i);
            try {
                ScheduleNames.of(s).options(s.parameters());
            } catch (IllegalArgumentException e) {
                throw new PlanException(src + "schedulers[" + i + "]: " + e.getMessage());
            }
        }
        unique(plan, plan.schedulers(), "schedulers", Plan.SchedulerSpec::label, "label");

        if (plan.steps().isEmpty() == plan.nfe().isEmpty()) {
            throw new PlanException(src + (plan.steps().isEmpty() ? "no steps; give steps (step counts) or nfe (model-call budgets)"
                    : "give steps or nfe, not both"));
        }
        String axis = plan.byNfe() ? "nfe" : "steps";
        int max = plan.byNfe() ? limits.nfe() : limits.steps();
        for (int i = 0; i < plan.stepAxis().size(); i++) {
            int v = plan.stepAxis().get(i);
            if (v < 1 || v > max) {
                throw new PlanException(src + axis + "[" + i + "] = " + v + " is out of range; allowed: 1.." + max
                        + (v > max ? " (" + limits.raise(axis, v) + ")" : ""));
            }
        }
        unique(plan, plan.stepAxis(), axis, String::valueOf, "value");

        nonEmpty(plan, plan.cfg(), "cfg", "give a guidance scale such as 1 or 3");
        for (int i = 0; i < plan.cfg().size(); i++) {
            double c = plan.cfg().get(i);
            if (!(c >= 0 && c <= ClassifierFreeGuidance.MAX_SCALE)) {
                throw new PlanException(src + "cfg[" + i + "] = " + c + " is out of range; allowed: "
                        + ClassifierFreeGuidance.RANGE);
            }
        }
        unique(plan, plan.cfg(), "cfg", Cell::plain, "value");

        nonEmpty(plan, plan.prompts(), "prompts", "give \"\" for one unconditional prompt");
        unique(plan, plan.prompts(), "prompts", p -> p.negative().isEmpty() ? "'" + p.prompt() + "'"
                : "'" + p.prompt() + "' with negative '" + p.negative() + "'", "prompt");
        nonEmpty(plan, plan.seeds(), "seeds", "give seeds such as [1, 2] or \"1-8\"");
        unique(plan, plan.seeds(), "seeds", String::valueOf, "seed");

        range(plan, "batch", plan.batch(), 1, limits.batch(), limits, "batch");
        range(plan, "drop_slowest", plan.dropSlowest(), 0, Integer.MAX_VALUE, limits, null);
        range(plan, "parallel", plan.parallel(), 0, limits.threads(), limits, "threads");
        cells(plan, limits);

        Plan.ReferenceSpec ref = plan.reference();
        if (ref != null) {
            reference(plan, ref, limits);
        }
        if (plan.checklist() != null && !Files.isRegularFile(plan.checklist())) {
            throw new PlanException(src + "checklist '" + plan.checklist() + "' does not exist");
        }

        NamedSampling model = model(plan, modelsHome, limits);
        ModelSampling sampling = model.sampling();
        fits(plan, model);
        sigmas(plan, sampling);
        return Cells.expand(plan, sampling);
    }

    /** Every schedule file was fitted on a model of this one's sigma range (another family's list is refused). */
    private static void fits(Plan plan, NamedSampling model) {
        for (int i = 0; i < plan.schedulers().size(); i++) {
            try {
                ScheduleNames.of(plan.schedulers().get(i)).checkFits(model.name(), model.sampling());
            } catch (IllegalArgumentException e) {
                throw new PlanException(plan.source() + ": schedulers[" + i + "]: " + e.getMessage());
            }
        }
    }

    /**
     * The number of cells, counted from the axes (without making them, and without overflow), against the limit;
     * a 6-million-cell plan is refused here rather than started.
     */
    private static void cells(Plan plan, Limits limits) {
        long pairs = 0;   // sampler x scheduler pairs: the product, less the schedulers restricted to other samplers
        for (Plan.SamplerSpec s : plan.samplers()) {
            pairs += plan.schedulers().stream().filter(sc -> sc.pairsWith(s)).count();
        }
        long[] sizes = {plan.samplers().size(), plan.schedulers().size(), plan.stepAxis().size(), plan.cfg().size(),
                plan.prompts().size(), plan.seeds().size()};
        long n = pairs;
        for (long s : Arrays.copyOfRange(sizes, 2, sizes.length)) {
            n = s != 0 && n > Long.MAX_VALUE / s ? Long.MAX_VALUE : n * s;
        }
        if (n > limits.cells()) {
            throw new PlanException(plan.source() + ": the plan has " + n + " cells (" + count(sizes[0], "sampler") + " x "
                    + count(sizes[1], "scheduler") + (pairs < sizes[0] * sizes[1] ? " (" + pairs + " pairs)" : "") + " x " + sizes[2] + " " + (plan.byNfe() ? "nfe" : "steps") + " x "
                    + sizes[3] + " cfg x " + count(sizes[4], "prompt") + " x " + count(sizes[5], "seed")
                    + "), more than the limit of " + limits.cells() + "; shorten an axis, or " + limits.raise("cells", n));
        }
    }

    private static String count(long n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }

    /** The reference solve must converge to the same point every time: a deterministic, fixed-step, CFG sampler. */
    private static void reference(Plan plan, Plan.ReferenceSpec ref, Limits limits) {
        String at = plan.source() + ": reference";
        SamplerInfo info;
        if (ScheduleNames.isFile(ref.scheduler())) {
            // The reference is a converged solve at many steps, shared by every scheduler of the plan.
            throw new PlanException(at + ".scheduler '" + ref.scheduler() + "' is a schedule file; the reference"
                    + " takes a registry scheduler such as karras (default: karras)");
        }
        try {
            info = Samplers.get(ref.sampler());
            Schedulers.get(ref.scheduler());
        } catch (IllegalArgumentException e) {
            throw new PlanException(at + ": " + e.getMessage());
        }
        if (info.stochastic() || info.adaptive() || info.cfgPp()) {
            String why = info.stochastic() ? "stochastic (it adds fresh noise, so it converges to no fixed image)"
                    : info.adaptive() ? "adaptive (it picks its own steps)" : "a CFG++ sampler (it solves another guided ODE)";
            throw new PlanException(at + " sampler '" + ref.sampler() + "' is " + why + "; use a deterministic"
                    + " solver such as heun or dpmpp_2m (default: heun)");
        }
        if (ref.steps() < 1 || ref.steps() > limits.steps()) {
            throw new PlanException(at + ".steps = " + ref.steps() + " is out of range; allowed: 1.." + limits.steps()
                    + (ref.steps() > limits.steps() ? " (" + limits.raise("steps", ref.steps()) + ")" : ""));
        }
    }

    /** A model's name and noise schedule. */
    private record NamedSampling(String name, ModelSampling sampling) {
    }

    /** Resolves the model, checks every prompt and negative against it; returns its name and noise schedule. */
    private static NamedSampling model(Plan plan, Path modelsHome, Limits limits) {
        boolean sd = !ModelSources.isMixture(plan.model())
                && ModelSources.isStableDiffusion(ModelSources.folder(plan, modelsHome));
        if (!sd && (plan.width() != null || plan.height() != null)) {
            throw new PlanException(plan.source() + ": " + (plan.width() != null ? "width" : "height") + " applies to"
                    + " Stable Diffusion folders; model '" + plan.model() + "' makes samples of its own fixed size");
        }
        if (ModelSources.isMixture(plan.model())) {
            MixtureSource m = ModelSources.mixture(plan.model(), plan.source() + ": model");
            prompts(plan, m::parse);
            return new NamedSampling(m.name(), m.mixture().sampling());
        }
        if (plan.batch() > limits.imageBatch()) {
            throw new PlanException(plan.source() + ": batch = " + plan.batch() + " is too large for an image model;"
                    + " allowed: 1.." + limits.imageBatch() + " (" + limits.raise("batch", plan.batch()) + ")");
        }
        if (sd) {
            // Prompts are free text, encoded when the model opens; the size is checked here, before any session.
            if (plan.width() != null) {
                SdSource.checkSize(plan.source(), "width", plan.width());
            }
            if (plan.height() != null) {
                SdSource.checkSize(plan.source(), "height", plan.height());
            }
            Path name = ModelSources.folder(plan, modelsHome).toAbsolutePath().normalize().getFileName();
            return new NamedSampling(name == null ? plan.model() : name.toString(), ModelSources.sampling(plan, modelsHome));
        }
        ModelConfig config = ModelSources.config(plan, modelsHome);
        prompts(plan, (text, where) -> ImageSource.parse(config, text, where));
        return new NamedSampling(config.name(), config.sampling());
    }

    private interface PromptParser {
        void parse(String text, String where);
    }

    private static void prompts(Plan plan, PromptParser parser) {
        for (int i = 0; i < plan.prompts().size(); i++) {
            Plan.PromptSpec p = plan.prompts().get(i);
            parser.parse(p.prompt(), plan.source() + ": prompts[" + i + "]");
            parser.parse(p.negative(), plan.source() + ": prompts[" + i + "].negative");
        }
    }

    /** Every scheduler gives a sigma list for every step count on this model (NFE plans: checked by Cells). */
    private static void sigmas(Plan plan, ModelSampling sampling) {
        Set<Boolean> discard = new HashSet<>();
        for (Plan.SamplerSpec s : plan.samplers()) {
            discard.add(Samplers.get(s.name()).discardPenultimate());
        }
        for (Plan.SchedulerSpec sc : plan.schedulers()) {
            Scheduler scheduler = Cells.scheduler(plan, sc);
            List<Integer> steps = plan.byNfe() ? List.of() : plan.steps();
            for (int n : steps) {
                for (boolean d : discard) {
                    try {
                        Sigmas.forRun(scheduler, sampling, n, 1.0, d);
                    } catch (IllegalArgumentException e) {
                        throw new PlanException(plan.source() + ": scheduler '" + sc.label() + "' at " + n + " steps: "
                                + e.getMessage());
                    }
                }
            }
        }
        Plan.ReferenceSpec ref = plan.reference();
        if (ref != null) {
            try {
                Sigmas.forRun(Schedulers.get(ref.scheduler()).create(), sampling, ref.steps(), 1.0,
                        Samplers.get(ref.sampler()).discardPenultimate());
            } catch (IllegalArgumentException e) {
                throw new PlanException(plan.source() + ": reference scheduler '" + ref.scheduler() + "' at "
                        + ref.steps() + " steps: " + e.getMessage());
            }
        }
    }

    private static void nonEmpty(Plan plan, List<?> values, String field, String allowed) {
        if (values.isEmpty()) {
            throw new PlanException(plan.source() + ": " + field + " is empty; " + allowed);
        }
    }

    /** Refuses a value outside min..max; past a limit (named {@code limit}), the message says how to raise it. */
    private static void range(Plan plan, String field, int value, int min, int max, Limits limits, String limit) {
        if (value < min || value > max) {
            throw new PlanException(plan.source() + ": " + field + " = " + value + " is out of range; allowed: "
                    + (max == Integer.MAX_VALUE ? min + " or more" : min + ".." + max)
                    + (limit != null && value > max ? " (" + limits.raise(limit, value) + ")" : ""));
        }
    }

    /** Rejects two entries of a list that would make the same cells or the same report rows. */
    private static <T> void unique(Plan plan, List<T> values, String field, Function<T, String> key, String what) {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < values.size(); i++) {
            String k = key.apply(values.get(i));
            Integer before = seen.putIfAbsent(k, i);
            if (before != null) {
                throw new PlanException(plan.source() + ": " + field + "[" + before + "] and " + field + "[" + i
                        + "] have the same " + what + " " + (what.equals("label") ? "'" + k + "'" : k)
                        + "; each must be different" + (what.equals("label") ? " (give one a label)" : ""));
            }
        }
    }
}
