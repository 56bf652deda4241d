package dev.stepwise.cli;

import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.schedule.Sigmas;
import dev.stepwise.onnx.image.Infotext;
import dev.stepwise.onnx.image.PngWriter;
import dev.stepwise.onnx.sd.SdConditioning;
import dev.stepwise.onnx.sd.SdModel;
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
import java.util.stream.Collectors;
import picocli.CommandLine.ParseResult;

/**
 * {@code stepwise generate} on a Stable Diffusion folder (a diffusers/optimum ONNX export): text-to-image with
 * ComfyUI's conventions (CPU torch noise, nearest training timestep, the negative prompt encoded even when empty),
 * the VAE decode, and PNGs with the A1111 infotext. The options are the command's; this holds the steps that
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
        checkSize("--width", c.width);
        checkSize("--height", c.height);
        SampleResult result;
        TimedNetwork network;
        List<BufferedImage> images = new ArrayList<>();
        String name;
        int w, h;
        long decodeNanos;
        try (SdModel sd = SdModel.load(dir, checked.options());
             Progress progress = Progress.create(!c.noProgress, c.batch == 1 ? "1 image" : c.batch + " images")) {
            int nativeSize = sd.family().nativeSize();
            w = c.width != null ? c.width : c.height != null ? c.height : nativeSize;
            h = c.height != null ? c.height : w;
            name = sd.name();
            checked.scheduler().checkFits(name, sd.sampling());
            Sigmas.forRun(checked.scheduler().create(c.schedulerParameters), sd.sampling(), c.sampling.steps, 1.0,
                    checked.sampler().discardPenultimate());
            // ComfyUI encodes the negative prompt even when it is empty (CLIPTextEncode of ""), never "no conditioning".
            SdConditioning positive = sd.promptEncoder().encode(c.prompt);
            SdConditioning negative = sd.promptEncoder().encode(c.negative);
            network = new TimedNetwork(sd.network());
            Model m = sd.model(network, w, h);
            result = Stepwise.sample(c.sampling.request(m, checked.sampler(), c.samplerParameters, checked.scheduler(),
                            c.schedulerParameters)
                    .cfg(c.cfg).seed(c.seed).batch(c.batch)
                    .prompt(positive).negative(negative)
                    .listener(progress).build());
            long t0 = System.nanoTime();
            for (int i = 0; i < c.batch; i++) {
                images.add(sd.image(result.samples(), i));
            }
            decodeNanos = System.nanoTime() - t0;
        }
        Infotext info = new Infotext(c.prompt, c.negative, c.sampling.steps, checked.sampler().name(),
                checked.scheduler().name(), c.cfg, c.seed, w, h, name);
        if (checked.scheduler().isFile()) {
            info = info.with("Sigmas", Arrays.stream(result.sigmas()).mapToObj(Infotext::number)
                    .collect(Collectors.joining(", ")));
        }
        LinkedHashMap<Path, byte[]> files = new LinkedHashMap<>();
        if (c.batch == 1) {
            files.put(c.out, PngWriter.encode(images.get(0), info.format()));
        } else {
            Infotext batchInfo = info.with("Batch size", Integer.toString(c.batch));
            files.put(c.out, PngWriter.encode(grid(images, c.columns), batchInfo.format()));
            if (c.each) {
                for (int i = 0; i < c.batch; i++) {
                    files.put(GenerateCommand.eachPath(c.out, i + 1), PngWriter.encode(images.get(i),
                            batchInfo.with("Batch pos", Integer.toString(i)).format()));
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
                c.batch, c.batch == 1 ? "" : "s", w, h, result.calls().nfe(), result.calls().condPasses(),
                result.calls().uncondPasses(), network.calls(), network.rows(), ms,
                ms > 0 ? 100 * network.nanos() / 1e6 / ms : 0, decodeNanos / 1e6,
                c.out + (c.each && c.batch > 1 ? " (+" + c.batch + " images)" : ""));
        stdout.flush();
        return 0;
    }

    private static void checkSize(String option, Integer pixels) {
        if (pixels == null) {
            return;
        }
        try {
            SdModel.checkSize(option, pixels);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (pixels > 16384) {
            throw new UsageException(option + " " + pixels + " is not allowed; at most 16384 pixels");
        }
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
