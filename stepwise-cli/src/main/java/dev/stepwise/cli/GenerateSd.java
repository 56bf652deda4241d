package dev.stepwise.cli;

import dev.stepwise.core.SampleResult;
import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.harness.SdGeneration;
import dev.stepwise.harness.SettingException;
import dev.stepwise.onnx.image.InitImage;
import dev.stepwise.onnx.sd.SdModel;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ParseResult;

/**
 * {@code stepwise generate} on a Stable Diffusion folder (a diffusers/optimum ONNX export): the command's options
 * checked and handed to the library's run ({@link SdGeneration}), its images written (one PNG, or a grid and with
 * --each every image) and its figures printed.
 */
final class GenerateSd {
    private final GenerateCommand c;
    private final GenerateCommand.Checked checked;

    GenerateSd(GenerateCommand command, GenerateCommand.Checked checked) {
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
        SdGeneration.Init init = c.initImage == null ? null
                : new SdGeneration.Init(readInit(), c.initImage.getFileName().toString(), resize, c.denoise);
        SdGeneration.Settings settings = new SdGeneration.Settings(c.prompt, c.negative, checked.sampler(),
                c.samplerParameters, checked.scheduler(), c.schedulerParameters, c.sampling.steps, c.cfg, c.seed,
                c.batch, c.batchCount, checked.compat(), c.clipSkip, c.size.width, c.size.height, init);
        int total = settings.images();
        SdGeneration.Output output;
        try (SdModel sd = SdModel.load(dir, checked.options());
             Progress progress = Progress.create(!c.noProgress, total == 1 ? "1 image" : total + " images")) {
            output = SdGeneration.run(sd, settings, progress);
        } catch (SettingException e) {
            throw new UsageException(e.againstOption("--"));
        }
        LinkedHashMap<Path, byte[]> files = new LinkedHashMap<>();
        if (total == 1) {
            files.put(c.out, output.png());
        } else {
            files.put(c.out, output.gridPng(c.columns));
            if (c.each) {
                for (int i = 0; i < total; i++) {
                    files.put(GenerateCommand.eachPath(c.out, i + 1), output.png(i));
                }
            }
        }
        try {
            AtomicFiles.write(files);
        } catch (IOException e) {
            throw new IOException("cannot write " + c.out + ": " + e, e);
        }
        SampleResult result = output.result();
        double ms = result.elapsed().toNanos() / 1e6;
        stdout.printf(Locale.ROOT, "%s/%s, %d steps, cfg %s, %d image%s %dx%d: NFE %d (cond passes %d, uncond passes %d,"
                        + " network calls %d, network rows %d) in %.1f ms (%.0f%% in the network), VAE decode %.1f ms -> %s%n",
                checked.sampler().name(), checked.scheduler().name(), result.steps(), GenerateCommand.plain(c.cfg),
                total, total == 1 ? "" : "s", output.width(), output.height(), result.calls().nfe(),
                result.calls().condPasses(), result.calls().uncondPasses(), output.networkCalls(),
                output.networkRows(), ms, ms > 0 ? 100 * output.networkNanos() / 1e6 / ms : 0,
                output.decodeNanos() / 1e6, c.out + (c.each && total > 1 ? " (+" + total + " images)" : ""));
        stdout.flush();
        return 0;
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
}
