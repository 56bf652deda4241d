package dev.stepwise.harness;

import dev.stepwise.core.CompatProfile;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.image.PngWriter;
import dev.stepwise.onnx.sd.SdModel;
import dev.stepwise.onnx.sd.TextSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A Stable Diffusion folder (a diffusers/optimum ONNX export) as a plan's model, at the plan's image size: prompts
 * are text, encoded once each with ComfyUI's prompt conventions ({@link TextSettings#COMFYUI}, as {@code stepwise
 * generate} defaults), cells sample the latents, and each cell's image is the VAE decode of its first latent with the
 * infotext and ComfyUI prompt that {@code stepwise generate} writes for the same settings ({@link SdGeneration}).
 * There is no classifier for such a model, so prompt adherence and the Fréchet distance are left out
 * ({@link #metricsNote}); the reference distance is measured on the latents. One set of sessions serves every worker.
 */
public final class SdSource implements ModelSource {
    /** The profile compare's cells follow: ComfyUI's, generate's default. */
    public static final CompatProfile COMPAT = CompatProfile.COMFYUI;

    private final SdModel sd;
    private final String key;
    private final int width;
    private final int height;
    private final String hash;
    private final Map<String, Conditioning> encoded = new ConcurrentHashMap<>();

    private SdSource(SdModel sd, String key, int width, int height) {
        this.sd = sd;
        this.key = key;
        this.width = width;
        this.height = height;
        this.hash = sd.shortHash();
    }

    /**
     * Opens the folder's sessions at an image size.
     *
     * @param width  pixels, a multiple of 8, or null for the family's native size (height's when only it is given)
     * @param height as width
     * @throws PlanException for a size that is not a multiple of 8 or a folder that is not a usable export, one line
     */
    public static SdSource open(Path dir, Integer width, Integer height, OnnxOptions options, String where) {
        SdModel sd;
        try {
            sd = SdModel.load(dir, options);
        } catch (IllegalArgumentException e) {
            throw new PlanException(where + ": " + e.getMessage());
        }
        try {
            int w = width != null ? width : height != null ? height : sd.nativeSize();
            int h = height != null ? height : w;
            checkSize(where, "width", w);
            checkSize(where, "height", h);
            return new SdSource(sd, key(sd.name(), dir, w, h), w, h);
        } catch (RuntimeException e) {
            sd.close();
            throw e;
        }
    }

    /** A width or height of a plan: a multiple of 8 up to {@link SdGeneration#MAX_SIZE}, else one line. */
    static void checkSize(String where, String field, int pixels) {
        try {
            SdGeneration.checkSize(field, pixels);
        } catch (IllegalArgumentException e) {
            throw new PlanException(where + ": " + e.getMessage());
        }
    }

    /**
     * The model's key: its name, the image size (which decides the latents' shape) and a digest of every file of the
     * folder (configs, tokenizers, every ONNX file and external weights), read in full once per run: seconds for a
     * multi-GB checkpoint, the price of never reusing a cell of other weights.
     */
    static String key(String name, Path dir, int width, int height) {
        StringBuilder files = new StringBuilder();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path f : all.filter(Files::isRegularFile).sorted().toList()) {
                files.append(dir.relativize(f).toString().replace('\\', '/')).append('=').append(Cell.sha256(f))
                        .append('|');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model " + dir + ": " + e.getMessage(), e);
        }
        return name + " " + width + "x" + height + "@" + Cell.sha256(files.toString()).substring(0, 16);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    @Override
    public String name() {
        return sd.name();
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public int[] sampleShape() {
        return sd.latentShape(width, height);
    }

    /** Prompts are free text. */
    @Override
    public List<String> vocabulary() {
        return List.of();
    }

    @Override
    public Conditioning parse(String text, String where) {
        try {
            // Each text once: the reference solves parse their prompts again, from any worker.
            return encoded.computeIfAbsent(text, t -> sd.promptEncoder().encode(t, TextSettings.of(COMPAT, 0)));
        } catch (IllegalArgumentException e) {
            throw new PlanException(where + ": " + e.getMessage());
        }
    }

    @Override
    public Model model(CallTimer timer) {
        Model m = sd.model(width, height);
        return new Model(m.name(), ModelSource.timed(m.denoiser(), timer), m.sampling(), m.sampleShape());
    }

    @Override
    public String metricsNote() {
        return "Prompt adherence and the Fréchet distance need the built-in classifier of the 28x28 models and are left"
                + " out on the Stable Diffusion checkpoint " + name() + "; the reference distance is measured on the"
                + " latents (" + String.join("x", java.util.Arrays.stream(sampleShape()).mapToObj(Integer::toString)
                .toList()) + " per image), and the times and the human scores stay.";
    }

    /**
     * A cell's image: its first latent decoded, with the texts {@code stepwise generate} writes for the same prompt,
     * seed, sampler, scheduler, steps, cfg and size.
     */
    public byte[] png(Cell cell, Plan.PromptSpec prompt, int batch, SampleResult result) throws IOException {
        Cell.Config k = cell.config();
        SdGeneration.Settings s = new SdGeneration.Settings(prompt.prompt(), prompt.negative(),
                Samplers.get(k.sampler().name()), k.sampler().parameters(), ScheduleNames.of(k.scheduler()),
                k.scheduler().parameters(), cell.steps(), k.cfg(), cell.seed(), batch, 1, COMPAT, 0, width, height,
                null);
        return PngWriter.encodeWithTexts(sd.image(result.samples(), 0), SdGeneration.texts(
                SdGeneration.infotext(s, width, height, name(), hash, result.sigmas()),
                SdGeneration.workflow(s, width, height, name())));
    }

    @Override
    public void close() {
        sd.close();
    }
}
