package dev.stepwise.cli;

import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.NetworkDenoiser;
import dev.stepwise.core.noise.RandnSource;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.Sigmas;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.harness.Limits;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.harness.ScheduleNames;
import dev.stepwise.onnx.ImageModel;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.Prompts;
import dev.stepwise.onnx.image.Filter;
import dev.stepwise.onnx.image.GridWriter;
import dev.stepwise.onnx.image.Infotext;
import dev.stepwise.onnx.image.PngWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code stepwise generate}: images from a class-conditional ONNX image model (the built-in Fashion-MNIST
 * model by default), written as PNG with AUTOMATIC1111's {@code parameters} infotext. Every input is
 * checked before the network is loaded, and files appear only when complete.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Generate images with an ONNX image model (default: the built-in Fashion-MNIST model) and "
                + "write them as PNG with the A1111 'parameters' text (prompt, Steps, Sampler, Schedule type, CFG "
                + "scale, Seed, Size, Model).",
        footer = {"", "Prompts use A1111's attention syntax over the model's classes: \"(bag:1.3), coat\", "
                + "\"(sneaker)\" = x1.1, \"[sneaker]\" = /1.1; an empty prompt is unconditional.",
                "Noise: torch.manual_seed(SEED); torch.randn(BATCH, 1, 28, 28), as in ComfyUI.",
                "A Stable Diffusion folder (diffusers/optimum ONNX export) takes the prompt as text, --width/--height"
                        + " (multiples of 8) and ComfyUI's conventions: torch.randn of the latent shape, the nearest"
                        + " training timestep, the negative prompt encoded even when empty.",
                "With --batch N > 1, OUT is a labelled grid of the N images; --each also writes OUT-1.png .. OUT-N.png.",
                "Exit codes: 0 done, 1 a failure while running or writing, 2 bad input (nothing written).", "",
                "Example:", "  stepwise generate --prompt \"sneaker\" --seed 42 -o sneaker.png"})
final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "",
            description = "What to generate: class names of the model with A1111 weights, e.g. \"sneaker\" or "
                    + "\"(bag:1.3), coat\". Empty = unconditional. Default: empty.")
    String prompt;

    @Option(names = "--negative", paramLabel = "TEXT", defaultValue = "",
            description = "Negative prompt: replaces the unconditional branch of guidance (needs --cfg other than 1). "
                    + "Default: empty (unconditional).")
    String negative;

    @Option(names = "--model", paramLabel = "NAME|DIR", defaultValue = "fashion-eps",
            description = "A model name under the repository's models/ folder, a model folder (model.json + "
                    + "model.onnx), or a Stable Diffusion checkpoint exported to ONNX by diffusers/optimum (a folder "
                    + "with model_index.json: SD1.x, SD2.x, SDXL, SD3). Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--width", paramLabel = "W",
            description = "Image width in pixels, for a Stable Diffusion folder: a multiple of 8. Default: the family's "
                    + "size (SD1 512, SD2-v 768, SDXL and SD3 1024).")
    Integer width;

    @Option(names = "--height", paramLabel = "H",
            description = "Image height in pixels, for a Stable Diffusion folder: a multiple of 8. Default: as --width.")
    Integer height;

    @Mixin
    SamplingOptions sampling = new SamplingOptions("dpmpp_2m", "karras");

    @Option(names = "--cfg", paramLabel = "X", defaultValue = "3",
            description = "Classifier-free guidance scale in [0, 100] (1 = no guidance, no unconditional pass; CFG++ "
                    + "samplers: about 0-2). Default: ${DEFAULT-VALUE}.")
    double cfg;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Noise seed (torch.manual_seed). Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--rng", paramLabel = "cpu|nv", defaultValue = "cpu",
            description = "The seed's generator: cpu (torch's CPU generator, as ComfyUI) or nv (A1111's NV Philox "
                    + "generator; step noise continues it, as A1111's does). 'stepwise noise' writes the starting "
                    + "noise alone. Default: ${DEFAULT-VALUE}.")
    String rng;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1",
            description = "Images to generate in one batch (1..1024, --limit batch=N raises it); more than 1 writes a "
                    + "labelled grid. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE.png", required = true, description = "Output PNG file." + Outputs.FILE_RULE)
    Path out;

    @Option(names = "--each", description = "With --batch N > 1, also write each image as OUT-1.png .. OUT-N.png.")
    boolean each;

    @Option(names = "--columns", paramLabel = "C", defaultValue = "0",
            description = "Grid columns for --batch N > 1 (0 = a near-square grid). Default: ${DEFAULT-VALUE}.")
    int columns;

    @Option(names = "--scale", paramLabel = "K", defaultValue = "8",
            description = "Integer upscaling of the 28x28 image (1..64). Default: ${DEFAULT-VALUE} (224x224 pixels).")
    int scale;

    @Option(names = "--filter", paramLabel = "F", defaultValue = "nearest",
            description = "Upscaling filter: nearest, bilinear or lanczos. Default: ${DEFAULT-VALUE}.")
    String filter;

    @Mixin
    DeviceOptions onnx = new DeviceOptions();

    @Option(names = "-P", paramLabel = "NAME=VALUE",
            description = "Sampler parameter, repeatable (e.g. -P eta=0.5); see 'stepwise list samplers'.")
    Map<String, String> samplerParameters = new LinkedHashMap<>();

    @Option(names = "-S", paramLabel = "NAME=VALUE",
            description = "Scheduler parameter, repeatable (e.g. -S rho=5); see 'stepwise list schedulers'.")
    Map<String, String> schedulerParameters = new LinkedHashMap<>();

    @Option(names = "--limit", paramLabel = LimitFlag.LABEL, description = LimitFlag.GENERATE)
    Map<String, String> limit = new LinkedHashMap<>();

    @Option(names = "--no-progress", description = "Never show the progress bar (it shows only on a terminal, for runs over a second).")
    boolean noProgress;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        Checked checked = check();
        Path dir = ModelFolders.resolveWithDiffusers(model);
        if (!Files.isRegularFile(dir.resolve("model.json")) && ModelFolders.isDiffusers(dir)) {
            return new SdGeneration(this, checked).run(dir, stdout);
        }
        if (width != null || height != null) {
            throw new UsageException((width != null ? "--width" : "--height") + " applies to Stable Diffusion folders;"
                    + " --model '" + model + "' makes images of its own fixed size (use --scale to enlarge them)");
        }
        Plan plan = prepare(checked, dir);
        SampleResult result;
        TimedNetwork network;
        try (ImageModel image = ImageModel.load(plan.dir(), plan.options());
             Progress progress = Progress.create(!noProgress, batch == 1 ? "1 image" : batch + " images")) {
            network = new TimedNetwork(image.network());
            ModelConfig c = image.config();
            Model m = new Model(c.name(), new NetworkDenoiser(network, c.sampling()), c.sampling(), c.sampleShape());
            result = Stepwise.sample(sampling.request(m, plan.sampler(), samplerParameters, plan.scheduler(),
                            schedulerParameters)
                    .cfg(cfg).seed(seed).rng(RandnSource.parse(rng)).batch(batch)
                    .prompt(plan.positive()).negative(plan.negative())
                    .listener(progress).build());
        }
        Tensor images = result.samples();
        int[] shape = plan.config().sampleShape();
        Infotext info = new Infotext(prompt, negative, sampling.steps, plan.sampler().name(), plan.scheduler().name(), cfg, seed,
                shape[2], shape[1], plan.config().name());
        if (plan.scheduler().isFile()) {
            // "Schedule type: file:vrg.json" alone does not say which list the file held when the image was made.
            info = info.with("Sigmas", Arrays.stream(result.sigmas()).mapToObj(Infotext::number)
                    .collect(Collectors.joining(", ")));
        }
        if (RandnSource.parse(rng) == RandnSource.NV) {
            info = info.with("RNG", "NV"); // A1111 names a non-default noise source so in its infotext
        }
        LinkedHashMap<Path, byte[]> files = new LinkedHashMap<>();
        if (batch == 1) {
            files.put(out, PngWriter.encode(PngWriter.image(images, 0, scale, plan.filter()), info.format()));
        } else {
            Infotext batchInfo = info.with("Batch size", Integer.toString(batch));
            List<String> labels = new ArrayList<>();
            for (int i = 1; i <= batch; i++) {
                labels.add("#" + i);
            }
            files.put(out, PngWriter.encode(GridWriter.render(images, labels, columns, scale, plan.filter()),
                    batchInfo.format()));
            if (each) {
                for (int i = 0; i < batch; i++) {
                    // A1111's "Batch pos" counts from 0; the file names count from 1, as the grid's labels do.
                    files.put(eachPath(out, i + 1), PngWriter.encode(PngWriter.image(images, i, scale, plan.filter()),
                            batchInfo.with("Batch pos", Integer.toString(i)).format()));
                }
            }
        }
        try {
            AtomicFiles.write(files);
        } catch (IOException e) {
            throw new IOException("cannot write " + out + ": " + e, e);
        }
        double ms = result.elapsed().toNanos() / 1e6;
        stdout.printf(Locale.ROOT, "%s/%s, %d steps, cfg %s, %d image%s %dx%d: NFE %d (cond passes %d, uncond passes %d,"
                        + " network calls %d, network rows %d) in %.1f ms (%.0f%% in the network) -> %s%n",
                plan.sampler().name(), plan.scheduler().name(), result.steps(), plain(cfg), batch,
                batch == 1 ? "" : "s", shape[2], shape[1], result.calls().nfe(), result.calls().condPasses(),
                result.calls().uncondPasses(), network.calls(), network.rows(), ms,
                ms > 0 ? 100 * network.nanos() / 1e6 / ms : 0, out + (each && batch > 1 ? " (+" + batch + " images)" : ""));
        stdout.flush();
        return 0;
    }

    /** A number as the infotext writes it: "3", "3.5". */
    static String plain(double v) {
        return Infotext.number(v);
    }

    /** OUT-i.png beside OUT.png. */
    static Path eachPath(Path out, int i) {
        String name = out.getFileName().toString();
        String stem = name.substring(0, name.length() - ".png".length());
        return out.resolveSibling(stem + "-" + i + name.substring(stem.length()));
    }

    /** The options checked before the model folder is read (shared by both kinds of model). */
    record Checked(SamplerInfo sampler, ScheduleNames.Entry scheduler, Filter filter, OnnxOptions options, Limits limits) {
    }

    /** Everything checked and read, before the network is loaded. */
    record Plan(Path dir, ModelConfig config, SamplerInfo sampler, ScheduleNames.Entry scheduler, Conditioning positive,
                Conditioning negative, Filter filter, OnnxOptions options) {
    }

    private Checked check() {
        RandnSource.parse(rng);
        Limits limits = LimitFlag.parse(limit, "steps", "batch", "threads");
        SamplingOptions.checkSteps(sampling.steps, limits);
        SamplingOptions.checkCfg(cfg);
        if (batch < 1 || batch > limits.imageBatch()) {
            throw new UsageException("--batch " + batch + " is not allowed; batch must be in 1.." + limits.imageBatch()
                    + (batch > limits.imageBatch() ? " (" + limits.raise("batch", batch) + ")" : ""));
        }
        if (scale < 1 || scale > 64) {
            throw new UsageException("--scale " + scale + " is not allowed; scale must be an integer in 1..64");
        }
        if (columns < 0) {
            throw new UsageException("--columns " + columns + " is not allowed; columns must be >= 0 (0 = automatic)");
        }
        if (each && batch == 1) {
            throw new UsageException("--each needs --batch N with N > 1 (a single image is written to --out)");
        }
        Filter f;
        try {
            f = Filter.parse(filter);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--filter: " + e.getMessage());
        }
        OnnxOptions options = onnx.options(1, limits);
        SamplerInfo info = sampling.resolveSampler();   // A1111 labels too
        info.options(samplerParameters);
        ScheduleNames.Entry sched = sampling.scheduler(schedulerParameters);
        SamplingOptions.checkSteps(sampling.steps, limits);   // a schedule file's own step count, without --steps
        checkOutput();
        return new Checked(info, sched, f, options, limits);
    }

    private Plan prepare(Checked checked, Path dir) {
        SamplerInfo info = checked.sampler();
        ScheduleNames.Entry sched = checked.scheduler();
        ModelConfig config = ModelConfig.read(dir);
        int[] shape = config.sampleShape();
        if (shape[0] != 1) {
            throw new UsageException("--model '" + model + "' makes " + shape[0] + "-channel images; generate writes"
                    + " single-channel (grayscale) models only");
        }
        sched.checkFits(config.name(), config.sampling());
        // The sigma list on this model (a 1-step schedule file cannot be resampled), before the network is loaded.
        Sigmas.forRun(sched.create(schedulerParameters), config.sampling(), sampling.steps, 1.0, info.discardPenultimate());
        Conditioning positive = parse("--prompt", prompt, config);
        Conditioning neg = negative.isBlank() ? Conditioning.NONE : parse("--negative", negative, config);
        return new Plan(dir, config, info, sched, positive, neg, checked.filter(), checked.options());
    }

    private static Conditioning parse(String option, String text, ModelConfig config) {
        try {
            return Prompts.parse(text, config.classes(), config.synonyms());
        } catch (IllegalArgumentException e) {
            throw new UsageException(option + ": " + e.getMessage());
        }
    }

    void checkOutput() {
        String name = out.getFileName() == null ? "" : out.getFileName().toString();
        if (!name.toLowerCase(Locale.ROOT).endsWith(".png") || name.length() <= 4) {
            throw new UsageException("--out '" + out + "' must name a .png file, such as sneaker.png");
        }
        Outputs.checkFile("--out", out, "sneaker.png");
        if (each) {
            for (int i = 1; i <= batch; i++) {
                Outputs.checkFile("--each", eachPath(out, i), "sneaker.png");
            }
        }
    }
}
