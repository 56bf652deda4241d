package dev.stepwise.harness;

import dev.stepwise.harness.fit.ScheduleFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A comparison plan: which model, and the axes whose product makes the cells (samplers x schedulers x step
 * counts or NFE budgets x cfg scales x prompts x seeds). Read from JSON or YAML by {@link PlanReader}, or
 * built from command-line flags. A plan as written is checked for its syntax and the registries' names and
 * parameters; prompts are checked against the model's vocabulary by {@link ModelSource}.
 *
 * @param name         title of the report
 * @param model        as written: an image-model name under models/ or a folder ("fashion-eps",
 *                     "./my-model"), or an analytic mixture "gmm:builtin" / "gmm:FILE.json"
 * @param samplers     one entry per sampler configuration (a sampler may appear twice with other parameters)
 * @param schedulers   one entry per scheduler configuration
 * @param steps        step counts; empty when {@code nfe} is given
 * @param nfe          NFE budgets (a cell runs the largest step count whose listed NFE fits); empty when
 *                     {@code steps} is given
 * @param cfg          guidance scales
 * @param prompts      prompts with their negative prompts ("" = unconditional)
 * @param seeds        noise seeds; every seed is used for every prompt
 * @param batch        images (rows) per cell: 1 for image models, thousands for analytic ones
 * @param reference    the converged reference solve, or null for none
 * @param dropSlowest  images the normalized time leaves out (the slowest ones), default 4
 * @param parallel     cells run at once, 0 = one per core
 * @param checklist    the human-scoring checklist file (resolved against the plan file's folder), or null
 * @param source       where the plan came from, for messages ("plan.yaml", "command line")
 * @param width        image width in pixels on a Stable Diffusion folder (a multiple of 8), or null for the family's
 *                     native size; null on the other models, whose size is their own
 * @param height       as width; one of the two given stands for both
 */
public record Plan(String name, String model, List<SamplerSpec> samplers, List<SchedulerSpec> schedulers,
                   List<Integer> steps, List<Integer> nfe, List<Double> cfg, List<PromptSpec> prompts,
                   List<Long> seeds, int batch, ReferenceSpec reference, int dropSlowest, int parallel,
                   Path checklist, String source, Integer width, Integer height) {

    /** Images the normalized time drops unless the plan says otherwise (the community experiment's 4). */
    public static final int DEFAULT_DROP_SLOWEST = 4;

    /**
     * The guidance scale of a plan that gives none, from plan files and compare's flags alike: 3 on an image model
     * (generate's default, the quality bar's setting), 1 on an analytic mixture (sample's: no guidance).
     */
    public static double defaultCfg(String model) {
        return ModelSources.isMixture(model) ? 1 : 3;
    }

    public Plan {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(model, "model");
        samplers = List.copyOf(samplers);
        schedulers = List.copyOf(schedulers);
        steps = List.copyOf(steps);
        nfe = List.copyOf(nfe);
        cfg = List.copyOf(cfg);
        prompts = List.copyOf(prompts);
        seeds = List.copyOf(seeds);
        Objects.requireNonNull(source, "source");
    }

    /** A plan at the model's own image size. */
    public Plan(String name, String model, List<SamplerSpec> samplers, List<SchedulerSpec> schedulers,
                List<Integer> steps, List<Integer> nfe, List<Double> cfg, List<PromptSpec> prompts,
                List<Long> seeds, int batch, ReferenceSpec reference, int dropSlowest, int parallel,
                Path checklist, String source) {
        this(name, model, samplers, schedulers, steps, nfe, cfg, prompts, seeds, batch, reference, dropSlowest, parallel,
                checklist, source, null, null);
    }

    /** The same plan with another number of cells at once. */
    public Plan withParallel(int cells) {
        return new Plan(name, model, samplers, schedulers, steps, nfe, cfg, prompts, seeds, batch, reference, dropSlowest,
                cells, checklist, source, width, height);
    }

    /** Whether the step axis is NFE budgets rather than step counts. */
    public boolean byNfe() {
        return !nfe.isEmpty();
    }

    /** The step axis's values: step counts or NFE budgets. */
    public List<Integer> stepAxis() {
        return byNfe() ? nfe : steps;
    }

    /**
     * A sampler configuration.
     *
     * @param name       registry name (ComfyUI's)
     * @param parameters sampler parameters, checked against the registry
     * @param label      how reports name it: the name, or the plan's label ("euler_ancestral eta=0.5")
     */
    public record SamplerSpec(String name, Map<String, Object> parameters, String label) {
        public SamplerSpec {
            parameters = Map.copyOf(parameters);
        }

        public static SamplerSpec of(String name) {
            return new SamplerSpec(name, Map.of(), name);
        }
    }

    /**
     * A scheduler configuration, as {@link SamplerSpec}; or a schedule file ({@code file:PATH}, made by
     * {@link ScheduleNames#spec}), whose content the plan holds, so that cell ids and the report's plan follow the
     * list and not the path.
     *
     * @param name     registry name (ComfyUI's), or "file:" + the schedule file's name
     * @param schedule the schedule file's content without its details (provenance), or null for a registry scheduler
     * @param samplers the labels of the sampler configurations it runs with; empty for every one (the product)
     */
    public record SchedulerSpec(String name, Map<String, Object> parameters, String label, ScheduleFile schedule,
                                List<String> samplers) {
        public SchedulerSpec {
            parameters = Map.copyOf(parameters);
            samplers = List.copyOf(samplers);
        }

        /** A configuration that goes with every sampler of the plan. */
        public SchedulerSpec(String name, Map<String, Object> parameters, String label, ScheduleFile schedule) {
            this(name, parameters, label, schedule, List.of());
        }

        /** A registry scheduler's configuration. */
        public SchedulerSpec(String name, Map<String, Object> parameters, String label) {
            this(name, parameters, label, null);
        }

        /** This configuration, run only with the sampler configurations of these labels (empty: with every one). */
        public SchedulerSpec onlyWith(List<String> samplerLabels) {
            return new SchedulerSpec(name, parameters, label, schedule, samplerLabels);
        }

        /**
         * Whether the plan pairs it with this sampler configuration. A list fitted to one sampler (a VRG file) is
         * meant for that sampler only: the other pairs would be cells nobody asked for.
         */
        public boolean pairsWith(SamplerSpec sampler) {
            return samplers.isEmpty() || samplers.contains(sampler.label());
        }

        public static SchedulerSpec of(String name) {
            return new SchedulerSpec(name, Map.of(), name);
        }
    }

    /** A prompt and its negative prompt, as text in the model's prompt syntax ("" = unconditional). */
    public record PromptSpec(String prompt, String negative) {
        public PromptSpec {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(negative, "negative");
        }

        public static PromptSpec of(String prompt) {
            return new PromptSpec(prompt, "");
        }
    }

    /**
     * The converged reference every cell of the same prompt, negative, cfg and seed is measured against: a
     * high-accuracy deterministic solve of the probability-flow ODE from the same starting noise.
     */
    public record ReferenceSpec(String sampler, String scheduler, int steps) {
        /** Heun (order 2) on Karras sigmas with 100 steps: 199 model calls per image. */
        public static final ReferenceSpec DEFAULT = new ReferenceSpec("heun", "karras", 100);
    }
}
