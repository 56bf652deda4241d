package dev.stepwise.cli;

import dev.stepwise.core.CompatProfile;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.model.Model;
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
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.ParseResult;

/**
 * {@code stepwise generate} on a Stable Diffusion folder (a diffusers/optimum ONNX export): text-to-image with the
 * --compat profile's conventions (ComfyUI's by default: CPU torch noise, the nearest training timestep; the negative
 * prompt encoded even when empty), the VAE decode, and PNGs with the A1111 infotext. The options are the command's; this holds the steps that
 * differ from the built-in class-conditional models.
 */
final class SdGeneration {
    private final GenerateCommand c;
    private final GenerateCommand.Checked checked;

    SdGeneration(GenerateCommand command, GenerateCommand.Checked checked) {
        this.c = command;
        this.checked = checked;
    }

    int run(Path dir, PrintWriter stdout) throws IOException {
        ParseResult parsed = c.spec.commandLine().getParseResult();
        for (String option : List.of("--scale", "--filter")) {
            if (parsed.hasMatchedOption(option)) {
                throw new UsageException(option + " applies to the built-in 28x28 models; a Stable Diffusion folder's"
                        + " image size is --width and --height");
            }
        }
        c.size.check();
        InitImage.ResizeMode resize = resizeMode();
        BufferedImage init = c.initImage == null ? null : readInit();
        SampleResult result = null;   // the last batch's: its sigmas and calls are every batch's
        TimedNetwork network;
        List<BufferedImage> images = new ArrayList<>();
        String name, hash;
        int w, h;
        long decodeNanos = 0;
        int total = c.batch * c.batchCount;
        try (SdModel sd = SdModel.load(dir, checked.options());
             Progress progress = Progress.create(!c.noProgress, total == 1 ? "1 image" : total + " images")) {
            int nativeSize = sd.nativeSize();
            int[] size = size(init, nativeSize);
            w = size[0];
            h = size[1];
            name = sd.name();
            hash = sd.shortHash();
            checked.scheduler().checkFits(name, sd.sampling());
            checked.compat().denoise().sigmas(checked.scheduler().create(c.schedulerParameters), sd.sampling(),
                    c.sampling.steps, c.denoise, checked.sampler().discardPenultimate());
            // ComfyUI encodes the negative prompt even when it is empty (CLIPTextEncode of ""), never "no conditioning".
            TextSettings text = textSettings(checked.compat());
            SdConditioning positive = sd.promptEncoder().encode(c.prompt, text);
            SdConditioning negative = sd.promptEncoder().encode(c.negative, text);
            Tensor latent = init == null ? null : initLatent(sd, init, w, h, resize);
            network = new TimedNetwork(sd.network());
            Model m = sd.model(network, w, h, checked.compat().timesteps());
            for (int k = 0; k < c.batchCount; k++) {
                result = Stepwise.sample(c.sampling.request(m, checked.sampler(), c.samplerParameters,
                                checked.scheduler(), c.schedulerParameters)
                        .cfg(c.cfg).seed(batchSeed(c.seed, k, c.batch)).compat(checked.compat()).batch(c.batch)
                        .denoise(c.denoise).latentImage(latent)
                        .prompt(positive).negative(negative)
                        .listener(progress).build());
                long t0 = System.nanoTime();
                for (int i = 0; i < c.batch; i++) {
                    images.add(sd.image(result.samples(), i));
                }
                decodeNanos += System.nanoTime() - t0;
            }
        }
        Infotext info = Infotext.forRun(checked.compat(), c.prompt, c.negative, c.sampling.steps,
                checked.sampler().name(), checked.scheduler().name(), c.cfg, c.seed, w, h, name);
        if (checked.scheduler().isFile()) {
            info = info.with("Sigmas", Arrays.stream(result.sigmas()).mapToObj(Infotext::number)
                    .collect(Collectors.joining(", ")));
        }
        info = info.with("Model hash", hash);
        if (init != null) {
            info = info.with("Denoising strength", Infotext.number(c.denoise));
        }
        if (c.clipSkip > 1) {
            info = info.with("Clip skip", Integer.toString(c.clipSkip));   // A1111 writes it above 1 (processing.py)
        }
        ComfyPrompt workflow = new ComfyPrompt(name, c.prompt, c.negative, w, h, c.batch, c.seed, c.sampling.steps,
                c.cfg, checked.sampler().name(), checked.scheduler().name(), c.denoise,
                init == null ? null : c.initImage.getFileName().toString(),
                resize == InitImage.ResizeMode.CROP ? "center" : "disabled").withClipSkip(c.clipSkip);
        LinkedHashMap<Path, byte[]> files = new LinkedHashMap<>();
        if (total == 1) {
            files.put(c.out, PngWriter.encodeWithTexts(images.get(0), texts(info, workflow)));
        } else {
            Infotext batchInfo = c.batch == 1 ? info : info.with("Batch size", Integer.toString(c.batch));
            files.put(c.out, PngWriter.encodeWithTexts(grid(images, c.columns), texts(batchInfo, workflow)));
            if (c.each) {
                for (int i = 0; i < total; i++) {
                    files.put(GenerateCommand.eachPath(c.out, i + 1), PngWriter.encodeWithTexts(images.get(i),
                            texts(imageInfo(info, i), workflow.withSeed(batchSeed(c.seed, i / c.batch, c.batch)))));
                }
            }
        }
        try {
            AtomicFiles.write(files);
        } catch (IOException e) {
            throw new IOException("cannot write " + c.out + ": " + e, e);
        }
        double ms = result.elapsed().toNanos() / 1e6;
        stdout.printf(Locale.ROOT, "%s/%s, %d steps, cfg %s, %d image%s %dx%d: NFE %d (cond passes %d, uncond passes %d,"
                        + " network calls %d, network rows %d) in %.1f ms (%.0f%% in the network), VAE decode %.1f ms -> %s%n",
                checked.sampler().name(), checked.scheduler().name(), result.steps(), GenerateCommand.plain(c.cfg),
                total, total == 1 ? "" : "s", w, h, result.calls().nfe(), result.calls().condPasses(),
                result.calls().uncondPasses(), network.calls(), network.rows(), ms,
                ms > 0 ? 100 * network.nanos() / 1e6 / ms : 0, decodeNanos / 1e6,
                c.out + (c.each && total > 1 ? " (+" + total + " images)" : ""));
        stdout.flush();
        return 0;
    }

    /** The profile's prompt weighting and clip-skip rule. */
    private TextSettings textSettings(CompatProfile compat) {
        return TextSettings.of(compat, c.clipSkip);
    }

    /**
     * The seed of batch {@code k} (from 0) of a batch count: A1111 gives image j of the whole run seed + j
     * (modules/processing.py, p.all_seeds with subseed strength 0) and seeds batch k's first image with
     * all_seeds[k * batch_size]; a batch's own noise is one randn over the batch, as ComfyUI draws it.
     */
    static long batchSeed(long seed, int k, int batch) {
        return seed + (long) k * batch;
    }

    /** Image {@code i} (from 0, over every batch) of a batched run: its batch's seed and its place in the batch. */
    private Infotext imageInfo(Infotext info, int i) {
        int k = i / c.batch, pos = i % c.batch;
        Infotext one = new Infotext(info.prompt(), info.negativePrompt(), info.steps(), info.sampler(),
                info.scheduleType(), info.cfgScale(), batchSeed(c.seed, k, c.batch), info.width(), info.height(),
                info.model(), info.extra());
        // A1111's "Batch pos" counts from 0; the file names count from 1, as the grid's labels do.
        return c.batch == 1 ? one : one.with("Batch size", Integer.toString(c.batch)).with("Batch pos",
                Integer.toString(pos));
    }

    /** A1111's parameters chunk, then ComfyUI's prompt chunk: both UIs read their own. */
    private static Map<String, String> texts(Infotext info, ComfyPrompt workflow) {
        Map<String, String> t = new LinkedHashMap<>();
        t.put(PngWriter.KEYWORD, info.format());
        t.put(ComfyPrompt.KEYWORD, workflow.format());
        return t;
    }

    private InitImage.ResizeMode resizeMode() {
        try {
            return InitImage.ResizeMode.parse(c.resizeMode);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--resize-mode: " + e.getMessage());
        }
    }

    private BufferedImage readInit() throws IOException {
        try {
            return InitImage.read(c.initImage);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--init-image " + e.getMessage());
        }
    }

    /**
     * Width and height: the flags, else the init image's own size rounded down to a multiple of 8 (ComfyUI's
     * VAEEncode crops to the VAE's factor), else the family's native size.
     */
    private int[] size(BufferedImage init, int nativeSize) {
        if (!c.size.given() && init != null) {
            int w = init.getWidth() / 8 * 8, h = init.getHeight() / 8 * 8;
            if (w < 8 || h < 8) {
                throw new UsageException("--init-image " + c.initImage + " is " + init.getWidth() + "x"
                        + init.getHeight() + "; give --width and --height (multiples of 8) to resize it");
            }
            return new int[] {w, h};
        }
        return c.size.resolve(nativeSize);
    }

    /** The init image resized, VAE-encoded (the mean) and repeated over the batch. */
    private Tensor initLatent(SdModel sd, BufferedImage init, int w, int h, InitImage.ResizeMode mode) {
        Tensor one = sd.vaeEncoder().encode(InitImage.pixels(InitImage.resize(init, w, h, mode)));
        int row = one.rowSize();
        float[] all = new float[row * c.batch];
        for (int i = 0; i < c.batch; i++) {
            System.arraycopy(one.data(), 0, all, i * row, row);
        }
        int[] shape = one.shape().clone();
        shape[0] = c.batch;
        return Tensor.wrap(all, shape);
    }

    /** The images side by side, {@code columns} a row (0: a near-square grid). */
    static BufferedImage grid(List<BufferedImage> images, int columns) {
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
