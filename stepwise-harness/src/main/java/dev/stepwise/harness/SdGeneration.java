package dev.stepwise.harness;

import dev.stepwise.core.CompatProfile;
import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.StepListener;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.image.ComfyPrompt;
import dev.stepwise.onnx.image.InitImage;
import dev.stepwise.onnx.image.Infotext;
import dev.stepwise.onnx.image.PngWriter;
import dev.stepwise.onnx.sd.SdConditioning;
import dev.stepwise.onnx.sd.SdModel;
import dev.stepwise.onnx.sd.TextSettings;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One text-to-image or img2img run on a Stable Diffusion folder (a diffusers/optimum ONNX export, {@link SdModel}), as
 * {@code stepwise generate}, the server and compare's cells make it: the prompts encoded with the profile's
 * {@link TextSettings} (ComfyUI's by default; the negative prompt encoded even when empty, as ComfyUI's CLIPTextEncode
 * of "" is, never "no conditioning"), sampled with {@link Stepwise#sample}, VAE-decoded, and each image's A1111
 * infotext and ComfyUI API-format prompt. Bad settings throw {@link SettingException} naming the setting.
 */
public final class SdGeneration {
    /** The largest width or height: past it a latent's buffers alone run into gigabytes; no family is trained near it. */
    public static final int MAX_SIZE = 16384;

    private SdGeneration() {
    }

    /**
     * An img2img input.
     *
     * @param image   the picture, any size (resized to the run's)
     * @param name    its file name, as ComfyUI's LoadImage node records it
     * @param resize  how another size is fitted
     * @param denoise the denoising strength, in (0, 1]
     */
    public record Init(BufferedImage image, String name, InitImage.ResizeMode resize, double denoise) {
        public Init {
            Objects.requireNonNull(image, "image");
            Objects.requireNonNull(resize, "resize");
        }
    }

    /**
     * What to generate.
     *
     * @param sampler    the resolved sampler
     * @param scheduler  a resolved scheduler name (a registry name or a schedule file)
     * @param seed       the first batch's seed; batch k of a batch count starts at {@link #batchSeed}
     * @param batchCount batches run one after another (A1111's n_iter)
     * @param clipSkip   A1111's numbering, 0 = the family's own layer
     * @param width      pixels, a multiple of 8, or null: the init image's size rounded down to 8, else the family's
     * @param height     as width; one of the two given stands for both
     * @param init       the img2img input, or null for text-to-image
     */
    public record Settings(String prompt, String negative, SamplerInfo sampler, Map<String, ?> samplerParameters,
                           ScheduleNames.Entry scheduler, Map<String, ?> schedulerParameters, int steps, double cfg,
                           long seed, int batch, int batchCount, CompatProfile compat, int clipSkip, Integer width,
                           Integer height, Init init) {
        public Settings {
            prompt = prompt == null ? "" : prompt;
            negative = negative == null ? "" : negative;
            Objects.requireNonNull(sampler, "sampler");
            Objects.requireNonNull(scheduler, "scheduler");
            Objects.requireNonNull(compat, "compat");
            samplerParameters = Map.copyOf(samplerParameters);
            schedulerParameters = Map.copyOf(schedulerParameters);
        }

        /** The denoising strength: the init image's, 1 for text-to-image. */
        public double denoise() {
            return init == null ? 1 : init.denoise();
        }

        /** Images of the whole run. */
        public int images() {
            return batch * batchCount;
        }
    }

    /**
     * A size in pixels: a positive multiple of 8 up to {@link #MAX_SIZE}, else an IllegalArgumentException line that
     * starts with {@code what} ("--width 500 is not allowed; ...").
     */
    public static void checkSize(String what, int pixels) {
        SdModel.checkSize(what, pixels);
        if (pixels > MAX_SIZE) {
            throw new IllegalArgumentException(what + " " + pixels + " is not allowed; at most " + MAX_SIZE + " pixels");
        }
    }

    private static void checkSize(Integer pixels, String field) {
        if (pixels != null) {
            try {
                checkSize(field, pixels);
            } catch (IllegalArgumentException e) {
                throw SettingException.named(field, e.getMessage());
            }
        }
    }

    /**
     * Checks what can be checked before the model is loaded (the server's 400s): steps, cfg, batch and batch count
     * against the limits, the sampler's and the scheduler's parameters, the size, and the sigma list on the model.
     *
     * @param sampling the folder's noise schedule ({@link SdModel#sampling(java.nio.file.Path)})
     */
    public static void check(Settings s, String model, ModelSampling sampling, Limits limits) {
        Generation.checkSteps(s.steps(), limits);
        Generation.checkCfg(s.cfg());
        Generation.checkBatch(s.batch(), limits);
        if (s.init() != null) {
            Generation.checkDenoise(s.denoise());
        }
        Generation.checkParameters(s.sampler(), s.samplerParameters(), s.scheduler(), s.schedulerParameters());
        checkSize(s.width(), "width");
        checkSize(s.height(), "height");
        checkSchedule(s, model, sampling);
    }

    /** The scheduler on this model, and its sigma list (a 1-step schedule file cannot be resampled). */
    private static void checkSchedule(Settings s, String model, ModelSampling sampling) {
        try {
            s.scheduler().checkFits(model, sampling);
            s.compat().denoise().sigmas(s.scheduler().create(s.schedulerParameters()), sampling, s.steps(),
                    s.denoise(), s.sampler().discardPenultimate());
        } catch (SettingException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new SettingException("scheduler", e.getMessage());
        }
    }

    /**
     * The seed of batch {@code k} (from 0) of a batch count: A1111 gives image j of the whole run seed + j
     * (modules/processing.py, p.all_seeds with subseed strength 0) and seeds batch k's first image with
     * all_seeds[k * batch_size]; a batch's own noise is one randn over the batch, as ComfyUI draws it.
     */
    public static long batchSeed(long seed, int k, int batch) {
        return seed + (long) k * batch;
    }

    /**
     * Width and height: as given (one standing for both), else the init image's own size rounded down to a multiple
     * of 8 (ComfyUI's VAEEncode crops to the VAE's factor), else the family's native size.
     */
    public static int[] size(Settings s, int nativeSize) {
        checkSize(s.width(), "width");
        checkSize(s.height(), "height");
        if (s.width() == null && s.height() == null && s.init() != null) {
            BufferedImage init = s.init().image();
            int w = init.getWidth() / 8 * 8, h = init.getHeight() / 8 * 8;
            if (w < 8 || h < 8) {
                throw new SettingException("width", "the init image " + s.init().name() + " is " + init.getWidth() + "x"
                        + init.getHeight() + "; give a width and height (multiples of 8) to resize it");
            }
            return new int[] {w, h};
        }
        int w = s.width() != null ? s.width() : s.height() != null ? s.height() : nativeSize;
        return new int[] {w, s.height() != null ? s.height() : w};
    }

    /**
     * Runs the settings on {@code sd}: every batch, then the VAE decode of every image.
     *
     * @param listener told after each step; the run stops with a {@code CancellationException} when the thread is
     *                 interrupted
     */
    public static Output run(SdModel sd, Settings s, StepListener listener) {
        int[] size = size(s, sd.nativeSize());
        int w = size[0], h = size[1];
        String name = sd.name();
        checkSchedule(s, name, sd.sampling());
        TextSettings text = TextSettings.of(s.compat(), s.clipSkip());
        SdConditioning positive = sd.promptEncoder().encode(s.prompt(), text);
        SdConditioning negative = sd.promptEncoder().encode(s.negative(), text);
        Tensor latent = s.init() == null ? null : initLatent(sd, s.init(), w, h, s.batch());
        TimedNetwork network = new TimedNetwork(sd.network());
        Model m = sd.model(network, w, h, s.compat().timesteps());
        List<BufferedImage> images = new ArrayList<>();
        SampleResult result = null;   // the last batch's: its sigmas and calls are every batch's
        long decodeNanos = 0;
        for (int k = 0; k < s.batchCount(); k++) {
            result = Stepwise.sample(request(m, s).seed(batchSeed(s.seed(), k, s.batch())).latentImage(latent)
                    .prompt(positive).negative(negative).listener(listener).build());
            long t0 = System.nanoTime();
            for (int i = 0; i < s.batch(); i++) {
                images.add(sd.image(result.samples(), i));
            }
            decodeNanos += System.nanoTime() - t0;
        }
        Infotext info = infotext(s, w, h, name, sd.shortHash(), result.sigmas());
        return new Output(s, List.copyOf(images), result, w, h, info, workflow(s, w, h, name), network.calls(),
                network.rows(), network.nanos(), decodeNanos);
    }

    /**
     * The sampling request of the settings on {@code model}, without seed, noise source or prompts: the sampler and
     * its parameters, the scheduler (a schedule file sets its own steps), cfg, profile, batch and denoise.
     */
    public static SampleRequest.Builder request(Model model, Settings s) {
        SampleRequest.Builder b = SampleRequest.builder(model).sampler(s.sampler().name())
                .samplerParameters(s.samplerParameters()).steps(s.steps());
        return s.scheduler().apply(b, s.schedulerParameters()).cfg(s.cfg()).compat(s.compat()).batch(s.batch())
                .denoise(s.denoise());
    }

    /**
     * The A1111 infotext of the run's first image, as A1111's processing.py writes it: the profile's names, the
     * model's name and short hash, and where they apply the sigma list (a schedule file's), the denoising strength
     * and clip skip.
     *
     * @param sigmas the run's sigma list (recorded for a schedule file)
     */
    public static Infotext infotext(Settings s, int width, int height, String model, String hash, double[] sigmas) {
        Infotext info = Infotext.forRun(s.compat(), s.prompt(), s.negative(), s.steps(), s.sampler().name(),
                s.scheduler().name(), s.cfg(), s.seed(), width, height, model);
        if (s.scheduler().isFile()) {
            // "Schedule type: file:vrg.json" alone does not say which list the file held when the image was made.
            info = info.with("Sigmas", Arrays.stream(sigmas).mapToObj(Infotext::number)
                    .collect(Collectors.joining(", ")));
        }
        info = info.with("Model hash", hash);
        if (s.init() != null) {
            info = info.with("Denoising strength", Infotext.number(s.denoise()));
        }
        if (s.clipSkip() > 1) {
            info = info.with("Clip skip", Integer.toString(s.clipSkip()));   // A1111 writes it above 1 (processing.py)
        }
        return info;
    }

    /** The run's ComfyUI API-format workflow (its first batch's seed). */
    public static ComfyPrompt workflow(Settings s, int width, int height, String model) {
        Init init = s.init();
        return new ComfyPrompt(model, s.prompt(), s.negative(), width, height, s.batch(), s.seed(), s.steps(), s.cfg(),
                s.sampler().name(), s.scheduler().name(), s.denoise(), init == null ? null : init.name(),
                init != null && init.resize() == InitImage.ResizeMode.CROP ? "center" : "disabled")
                .withClipSkip(Math.max(1, s.clipSkip()));
    }

    /** A1111's parameters chunk, then ComfyUI's prompt chunk: both UIs read their own. */
    public static Map<String, String> texts(Infotext info, ComfyPrompt workflow) {
        Map<String, String> t = new LinkedHashMap<>();
        t.put(PngWriter.KEYWORD, info.format());
        t.put(ComfyPrompt.KEYWORD, workflow.format());
        return t;
    }

    /** The init image resized, VAE-encoded (the mean) and repeated over the batch. */
    private static Tensor initLatent(SdModel sd, Init init, int w, int h, int batch) {
        Tensor one = sd.vaeEncoder().encode(InitImage.pixels(InitImage.resize(init.image(), w, h, init.resize())));
        int row = one.rowSize();
        float[] all = new float[row * batch];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(one.data(), 0, all, i * row, row);
        }
        int[] shape = one.shape().clone();
        shape[0] = batch;
        return Tensor.wrap(all, shape);
    }

    /**
     * A finished run.
     *
     * @param images       every image, batch after batch
     * @param result       the last batch's result: its sigmas and calls are every batch's
     * @param infotext     the first image's infotext
     * @param workflow     the first batch's ComfyUI workflow
     * @param networkCalls UNet (or transformer) calls over the whole run
     * @param networkRows  batch rows through the network (cond and uncond alike)
     * @param networkNanos time inside the network
     * @param decodeNanos  time in the VAE decoder
     */
    public record Output(Settings settings, List<BufferedImage> images, SampleResult result, int width, int height,
                         Infotext infotext, ComfyPrompt workflow, long networkCalls, long networkRows, long networkNanos,
                         long decodeNanos) {

        /** The infotext of the whole run: with "Batch size" when a batch holds more than one image (a grid's). */
        public Infotext batchInfotext() {
            return settings.batch() == 1 ? infotext : infotext.with("Batch size", Integer.toString(settings.batch()));
        }

        /** Image {@code i} (from 0, over every batch): its batch's seed and, in a batch, its place. */
        public Infotext infotext(int i) {
            int batch = settings.batch();
            Infotext one = new Infotext(infotext.prompt(), infotext.negativePrompt(), infotext.steps(),
                    infotext.sampler(), infotext.scheduleType(), infotext.cfgScale(),
                    batchSeed(settings.seed(), i / batch, batch), infotext.width(), infotext.height(), infotext.model(),
                    infotext.extra());
            // A1111's "Batch pos" counts from 0.
            return batch == 1 ? one : one.with("Batch size", Integer.toString(batch))
                    .with("Batch pos", Integer.toString(i % batch));
        }

        /** The workflow of image {@code i}'s batch. */
        public ComfyPrompt workflow(int i) {
            return workflow.withSeed(batchSeed(settings.seed(), i / settings.batch(), settings.batch()));
        }

        /** The single image of a one-image run as PNG bytes, with the first image's texts. */
        public byte[] png() throws IOException {
            return PngWriter.encodeWithTexts(images.get(0), texts(infotext, workflow));
        }

        /** Image {@code i} as PNG bytes with its own infotext and workflow. */
        public byte[] png(int i) throws IOException {
            return PngWriter.encodeWithTexts(images.get(i), texts(infotext(i), workflow(i)));
        }

        /** Every image in a grid, {@code columns} a row (0: near-square), with the run's texts. */
        public byte[] gridPng(int columns) throws IOException {
            return PngWriter.encodeWithTexts(grid(images, columns), texts(batchInfotext(), workflow));
        }
    }

    /** The images side by side, {@code columns} a row (0: a near-square grid). */
    public static BufferedImage grid(List<BufferedImage> images, int columns) {
        int n = images.size();
        int cols = columns > 0 ? Math.min(columns, n) : (int) Math.ceil(Math.sqrt(n));
        int rows = (n + cols - 1) / cols;
        int w = images.get(0).getWidth(), h = images.get(0).getHeight();
        BufferedImage g = new BufferedImage(cols * w, rows * h, BufferedImage.TYPE_INT_RGB);
        Graphics2D gr = g.createGraphics();
        try {
            for (int i = 0; i < n; i++) {
                gr.drawImage(images.get(i), (i % cols) * w, (i / cols) * h, null);
            }
        } finally {
            gr.dispose();
        }
        return g;
    }
}
