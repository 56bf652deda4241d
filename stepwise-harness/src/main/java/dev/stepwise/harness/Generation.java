package dev.stepwise.harness;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.guidance.ClassifierFreeGuidance;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.CompatProfile;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.StepListener;
import dev.stepwise.core.schedule.Sigmas;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.Prompts;
import dev.stepwise.onnx.image.Filter;
import dev.stepwise.onnx.image.Infotext;
import dev.stepwise.onnx.image.PngWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One generate run on a class-conditional image model, as {@code stepwise generate} and the server's generate
 * endpoints make it: the settings checked before the network is loaded ({@link #prepare}), the run
 * ({@link #run}), the A1111 infotext and the PNG of each image. Bad settings throw {@link SettingException}
 * naming the setting.
 */
public final class Generation {
    /** Steps of a run when none are given, as {@code stepwise generate} defaults. */
    public static final int DEFAULT_STEPS = 20;

    private Generation() {
    }

    /**
     * What to generate.
     *
     * @param model               a model name under the models folder, or a model folder's path
     * @param prompt              class names with A1111 weights ("(bag:1.3), coat"); empty = unconditional
     * @param negative            replaces the unconditional branch of guidance; empty = none
     * @param scheduler           a resolved scheduler name (a registry name or a schedule file)
     * @param seed                torch.manual_seed of the batch's noise
     * @param compat              the UI whose conventions the run follows, with its generator (torch's CPU one, or
     *                            A1111's NV Philox)
     */
    public record Settings(String model, String prompt, String negative, String sampler, Map<String, ?> samplerParameters,
                           ScheduleNames.Entry scheduler, Map<String, ?> schedulerParameters, int steps, double cfg, long seed,
                           int batch, CompatProfile compat) {
        public Settings {
            Objects.requireNonNull(compat, "compat");
            prompt = prompt == null ? "" : prompt;
            negative = negative == null ? "" : negative;
            samplerParameters = Map.copyOf(samplerParameters);
            schedulerParameters = Map.copyOf(schedulerParameters);
        }

        /** Settings under ComfyUI's conventions, the default (torch's CPU generator). */
        public Settings(String model, String prompt, String negative, String sampler, Map<String, ?> samplerParameters,
                        ScheduleNames.Entry scheduler, Map<String, ?> schedulerParameters, int steps, double cfg, long seed,
                        int batch) {
            this(model, prompt, negative, sampler, samplerParameters, scheduler, schedulerParameters, steps, cfg, seed, batch,
                    CompatProfile.COMFYUI);
        }

        /** The same settings with another seed (A1111's n_iter runs batch after batch). */
        public Settings withSeed(long s) {
            return new Settings(model, prompt, negative, sampler, samplerParameters, scheduler, schedulerParameters, steps,
                    cfg, s, batch, compat);
        }
    }

    /** Checked settings with the model's folder and configuration read and the prompts parsed. */
    public record Prepared(Settings settings, Path dir, ModelConfig config, SamplerInfo sampler, Conditioning positive,
                           Conditioning negative) {
    }

    /** Refuses steps below 1 or over the limit. */
    public static void checkSteps(int steps, Limits limits) {
        if (steps < 1) {
            throw SettingException.named("steps", "steps " + steps + " is not allowed; steps must be at least 1");
        }
        if (steps > limits.steps()) {
            throw SettingException.named("steps", "steps " + steps + " is over the limit of " + limits.steps() + " steps; "
                    + limits.raise("steps", steps));
        }
    }

    /** Refuses a guidance scale outside {@link ClassifierFreeGuidance#RANGE}. */
    public static void checkCfg(double cfg) {
        if (!(cfg >= 0 && cfg <= ClassifierFreeGuidance.MAX_SCALE)) {
            throw SettingException.named("cfg", "cfg " + cfg + " is not allowed; cfg must be in " + ClassifierFreeGuidance.RANGE);
        }
    }

    /** Refuses a batch below 1 or over the image limit. */
    public static void checkBatch(int batch, Limits limits) {
        if (batch < 1 || batch > limits.imageBatch()) {
            throw SettingException.named("batch", "batch " + batch + " is not allowed; batch must be in 1.."
                    + limits.imageBatch() + (batch > limits.imageBatch() ? " (" + limits.raise("batch", batch) + ")" : ""));
        }
    }

    /**
     * Checks everything that can be checked before the network is loaded: the numbers, the sampler and its
     * parameters, the scheduler's parameters, the sigma list on the model, the model, the prompts.
     *
     * @param models the folder model names are looked up in
     */
    public static Prepared prepare(Settings s, Path models, Limits limits) {
        checkSteps(s.steps(), limits);
        checkCfg(s.cfg());
        checkBatch(s.batch(), limits);
        SamplerInfo info;
        try {
            info = Samplers.get(s.sampler());
        } catch (IllegalArgumentException e) {
            throw new SettingException("sampler", e.getMessage());
        }
        checkParameters(info, s.samplerParameters(), s.scheduler(), s.schedulerParameters());
        Path dir;
        try {
            dir = ModelFolders.resolve(s.model(), models, "model");
        } catch (IllegalArgumentException e) {
            throw SettingException.named("model", e.getMessage());
        }
        ModelConfig config = ModelConfig.read(dir);
        int[] shape = config.sampleShape();
        if (shape[0] != 1) {
            throw SettingException.named("model", "model '" + s.model() + "' makes " + shape[0] + "-channel images; generate"
                    + " writes single-channel (grayscale) models only");
        }
        try {
            s.scheduler().checkFits(config.name(), config.sampling());
            // The sigma list on this model (a 1-step schedule file cannot be resampled), before the network is loaded.
            Sigmas.forRun(s.scheduler().create(s.schedulerParameters()), config.sampling(), s.steps(), 1.0,
                    info.discardPenultimate());
        } catch (SettingException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new SettingException("scheduler", e.getMessage());
        }
        Conditioning positive = parse("prompt", s.prompt(), config);
        Conditioning neg = s.negative().isBlank() ? Conditioning.NONE : parse("negative", s.negative(), config);
        return new Prepared(s, dir, config, info, positive, neg);
    }

    private static Conditioning parse(String field, String text, ModelConfig config) {
        try {
            return Prompts.parse(text, config.classes(), config.synonyms());
        } catch (IllegalArgumentException e) {
            throw SettingException.named(field, field + ": " + e.getMessage());
        }
    }

    /**
     * Samples the prepared settings on {@code model} (the loaded network of {@link Prepared#dir}).
     *
     * @param listener told after each step; the run stops with a {@code CancellationException} when the thread is
     *                 interrupted
     */
    public static Output run(Prepared p, Model model, StepListener listener) {
        return run(p, model, listener, null, 1);
    }

    /** The sampler's and the scheduler's parameters against what each allows, as a setting error naming which. */
    public static void checkParameters(SamplerInfo sampler, Map<String, ?> samplerParameters,
                                       ScheduleNames.Entry scheduler, Map<String, ?> schedulerParameters) {
        try {
            sampler.options(samplerParameters);
        } catch (IllegalArgumentException e) {
            throw new SettingException("sampler", e.getMessage());
        }
        try {
            scheduler.options(schedulerParameters);
        } catch (IllegalArgumentException e) {
            throw new SettingException("scheduler", e.getMessage());
        }
    }

    /** Refuses a denoising strength outside (0, 1]. */
    public static void checkDenoise(double denoise) {
        if (!(denoise > 0 && denoise <= 1)) {
            throw SettingException.named("denoise", "denoise " + denoise + " is not allowed; denoise must be in (0, 1]");
        }
    }

    /**
     * img2img: as {@link #run(Prepared, Model, StepListener)}, starting from {@code init} (the model's pixels,
     * [batch, sample shape]) noised to the first sigma of the {@code denoise} schedule (ComfyUI's KSampler rule: the
     * last steps of int(steps / denoise)); the infotext says "Denoising strength" as A1111's does. A null {@code init}
     * is txt2img.
     */
    public static Output run(Prepared p, Model model, StepListener listener, Tensor init,
                             double denoise) {
        Settings s = p.settings();
        SampleRequest.Builder request = SampleRequest.builder(model)
                .sampler(p.sampler().name()).samplerParameters(s.samplerParameters())
                .steps(s.steps());
        if (init != null) {
            checkDenoise(denoise);
            request.latentImage(init).denoise(denoise);
        }
        SampleResult result = Stepwise.sample(s.scheduler().apply(request, s.schedulerParameters())
                .cfg(s.cfg()).seed(s.seed()).compat(s.compat()).batch(s.batch())
                .prompt(p.positive()).negative(p.negative())
                .listener(listener).build());
        int[] shape = p.config().sampleShape();
        Infotext info = Infotext.forRun(s.compat(), s.prompt(), s.negative(), s.steps(), p.sampler().name(),
                s.scheduler().name(), s.cfg(), s.seed(), shape[2], shape[1], p.config().name());
        if (s.scheduler().isFile()) {
            // "Schedule type: file:vrg.json" alone does not say which list the file held when the image was made.
            info = info.with("Sigmas", Arrays.stream(result.sigmas()).mapToObj(Infotext::number)
                    .collect(Collectors.joining(", ")));
        }
        if (init != null) {
            info = info.with("Denoising strength", Infotext.number(denoise));
        }
        return new Output(result, info, s.batch());
    }

    /** A finished run: the samples and their infotext. */
    public record Output(SampleResult result, Infotext infotext, int batch) {

        /** The infotext of the whole batch: with "Batch size" when there is more than one image (a grid's). */
        public Infotext batchInfotext() {
            return batch == 1 ? infotext : infotext.with("Batch size", Integer.toString(batch));
        }

        /** The infotext of image {@code index} (from 0): with "Batch size" and "Batch pos" in a batch. */
        public Infotext infotext(int index) {
            // A1111's "Batch pos" counts from 0.
            return batch == 1 ? infotext : batchInfotext().with("Batch pos", Integer.toString(index));
        }

        /** Image {@code index} as PNG bytes with its infotext, upscaled {@code scale} times. */
        public byte[] png(int index, int scale, Filter filter) throws IOException {
            return PngWriter.encode(PngWriter.image(result.samples(), index, scale, filter), infotext(index).format());
        }
    }
}
