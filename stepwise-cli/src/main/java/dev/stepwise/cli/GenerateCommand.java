package dev.stepwise.cli;

import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.NetworkDenoiser;
import dev.stepwise.core.CompatProfile;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.harness.Generation;
import dev.stepwise.harness.Limits;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.harness.ScheduleNames;
import dev.stepwise.harness.SettingException;
import dev.stepwise.harness.TimedNetwork;
import dev.stepwise.onnx.ImageModel;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.image.Filter;
import dev.stepwise.onnx.image.GridWriter;
import dev.stepwise.onnx.image.Infotext;
import dev.stepwise.onnx.image.PngWriter;
import dev.stepwise.onnx.image.StoredSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
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
                "A Stable Diffusion folder (diffusers/optimum ONNX export) takes the prompt as text with ComfyUI's weights"
                        + " (\"(cat:1.3)\"), --width/--height"
                        + " (multiples of 8) and ComfyUI's conventions: torch.randn of the latent shape, the nearest"
                        + " training timestep, the negative prompt encoded even when empty; --compat a1111 A1111's.",
                "With --batch N > 1, OUT is a labelled grid of the N images; --each also writes OUT-1.png .. OUT-N.png.",
                "Exit codes: 0 done, 1 a failure while running or writing, 2 bad input (nothing written).", "",
                "Example:", "  stepwise generate --prompt \"sneaker\" --seed 42 -o sneaker.png"})
final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--from", paramLabel = "IMAGE.png",
            description = "Re-run the settings stored in a PNG written by Stepwise, A1111 (its 'parameters' text) or "
                    + "ComfyUI (its API-format 'prompt' text): prompt, negative prompt, model, size, batch size, seed, "
                    + "steps, sampler, scheduler, cfg, RNG, compat profile (an A1111 PNG: a1111), clip skip (and denoise "
                    + "with --init-image). Options given here override the stored ones.")
    Path from;

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

    @Mixin
    SizeOptions size = new SizeOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions("dpmpp_2m", "karras");

    @Option(names = "--cfg", paramLabel = "X", defaultValue = "3",
            description = "Classifier-free guidance scale in [0, 100] (1 = no guidance, no unconditional pass; CFG++ "
                    + "samplers: about 0-2). Default: ${DEFAULT-VALUE}.")
    double cfg;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Noise seed (torch.manual_seed). Default: ${DEFAULT-VALUE}.")
    long seed;

    @Mixin
    CompatOptions compat = new CompatOptions();

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1",
            description = "Images to generate in one batch (1..1024, --limit batch=N raises it); more than 1 writes a "
                    + "labelled grid. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--batch-count", paramLabel = "N", defaultValue = "1",
            description = "Stable Diffusion folders: N batches in succession (A1111's batch count, n_iter); batch k "
                    + "(from 0) is seeded with SEED + k * BATCH, as A1111 numbers its images' seeds. Default: "
                    + "${DEFAULT-VALUE}.")
    int batchCount;

    @Option(names = "--init-image", paramLabel = "FILE",
            description = "Stable Diffusion folders: img2img from this PNG or JPEG, resized to --width x --height (default:"
                    + " the image's own size, rounded down to a multiple of 8), VAE-encoded (the encoder's mean, as "
                    + "ComfyUI's VAEEncode) and noised to the first sigma of the --denoise schedule.")
    Path initImage;

    @Option(names = "--denoise", paramLabel = "D", defaultValue = "1",
            description = "With --init-image: denoising strength in (0, 1]; the run walks the last --steps sigmas of a "
                    + "schedule of int(steps / D) steps, as ComfyUI's KSampler (--compat a1111: the last int(D * steps) + 1"
                    + " steps of a schedule of --steps steps, as A1111's img2img). Default: ${DEFAULT-VALUE}.")
    double denoise;

    @Option(names = "--clip-skip", paramLabel = "N", defaultValue = "0",
            description = "Stable Diffusion folders: condition on the text encoders' layer N from the end (A1111's "
                    + "\"Clip skip\": 1 = the last layer, 2 = the one before; ComfyUI's CLIPSetLastLayer -N), on every "
                    + "CLIP encoder, with the final layer norm on SD1 and SD2 as ComfyUI does; needs an export with "
                    + "hidden_states outputs. Default: the model's own layer (SD1 1, SD2, SDXL and SD3 2).")
    int clipSkip;

    @Option(names = "--resize-mode", paramLabel = "just|crop", defaultValue = "just",
            description = "With --init-image of another size: just (A1111's \"Just resize\", stretched) or crop (\"Crop "
                    + "and resize\", aspect kept, centre cropped). Default: ${DEFAULT-VALUE}.")
    String resizeMode;

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
        if (from != null) {
            applyStored(from);
        }
        Checked checked = check();
        Path dir = ModelFolders.resolveWithDiffusers(model);
        if (!Files.isRegularFile(dir.resolve("model.json")) && ModelFolders.isDiffusers(dir)) {
            return new GenerateSd(this, checked).run(dir, stdout);
        }
        for (String option : List.of("--init-image", "--denoise", "--resize-mode", "--batch-count", "--clip-skip")) {
            if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw new UsageException(option + " applies to Stable Diffusion folders; --model '" + model
                        + "' is a class-conditional model without a VAE");
            }
        }
        if (size.given()) {
            throw new UsageException((size.width != null ? "--width" : "--height") + " applies to Stable Diffusion folders;"
                    + " --model '" + model + "' makes images of its own fixed size (use --scale to enlarge them)");
        }
        Plan plan = prepare(checked);
        Generation.Output output;
        TimedNetwork network;
        try (ImageModel image = ImageModel.load(plan.run().dir(), plan.options());
             Progress progress = Progress.create(!noProgress, batch == 1 ? "1 image" : batch + " images")) {
            network = new TimedNetwork(image.network());
            ModelConfig c = image.config();
            Model m = new Model(c.name(), new NetworkDenoiser(network, c.sampling()), c.sampling(), c.sampleShape());
            output = Generation.run(plan.run(), m, progress);
        }
        SampleResult result = output.result();
        Tensor images = result.samples();
        int[] shape = plan.run().config().sampleShape();
        LinkedHashMap<Path, byte[]> files = new LinkedHashMap<>();
        if (batch == 1) {
            files.put(out, output.png(0, scale, plan.filter()));
        } else {
            List<String> labels = new ArrayList<>();
            for (int i = 1; i <= batch; i++) {
                labels.add("#" + i);
            }
            files.put(out, PngWriter.encode(GridWriter.render(images, labels, columns, scale, plan.filter()),
                    output.batchInfotext().format()));
            if (each) {
                for (int i = 0; i < batch; i++) {
                    // The file names count from 1, as the grid's labels do.
                    files.put(eachPath(out, i + 1), output.png(i, scale, plan.filter()));
                }
            }
        }
        try {
            AtomicFiles.write(files);
        } catch (IOException e) {
            throw new IOException("cannot write " + out + ": " + e, e);
        }
        SamplerInfo sampler = plan.run().sampler();
        double ms = result.elapsed().toNanos() / 1e6;
        stdout.printf(Locale.ROOT, "%s/%s, %d steps, cfg %s, %d image%s %dx%d: NFE %d (cond passes %d, uncond passes %d,"
                        + " network calls %d, network rows %d) in %.1f ms (%.0f%% in the network) -> %s%n",
                sampler.name(), plan.run().settings().scheduler().name(), result.steps(), plain(cfg), batch,
                batch == 1 ? "" : "s", shape[2], shape[1], result.calls().nfe(), result.calls().condPasses(),
                result.calls().uncondPasses(), network.calls(), network.rows(), ms,
                ms > 0 ? 100 * network.nanos() / 1e6 / ms : 0, out + (each && batch > 1 ? " (+" + batch + " images)" : ""));
        stdout.flush();
        return 0;
    }

    /**
     * Sets every option not given on the command line that the image stores. The model is looked up by the stored
     * name (a Stable Diffusion folder's name, ComfyUI's checkpoint name without its extension) unless --model is given.
     */
    private void applyStored(Path png) {
        StoredSettings s;
        try {
            s = StoredSettings.read(Files.readAllBytes(png));
        } catch (IOException e) {
            throw new UsageException("--from " + png + ": cannot read it (" + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw new UsageException("--from " + png + ": " + e.getMessage());
        }
        ParseResult given = spec.commandLine().getParseResult();
        java.util.function.Predicate<String> open = option -> !given.hasMatchedOption(option);
        if (open.test("--model")) {
            if (s.model() == null) {
                throw new UsageException("--from " + png + ": the " + s.source() + " name no model; give --model DIR");
            }
            try {
                ModelFolders.resolveWithDiffusers(s.model());
            } catch (IllegalArgumentException e) {
                throw new UsageException("--from " + png + ": its model '" + s.model() + "' is not found here ("
                        + e.getMessage() + "); give --model DIR");
            }
            model = s.model();
        }
        if (s.prompt() != null && open.test("--prompt")) {
            prompt = s.prompt();
        }
        if (s.negative() != null && open.test("--negative")) {
            negative = s.negative();
        }
        if (s.width() != null && open.test("--width") && open.test("--height")) {
            size.width = s.width();
            size.height = s.height();
        }
        if (s.batch() != null && open.test("--batch")) {
            batch = s.batch();
        }
        if (s.seed() != null && open.test("--seed")) {
            seed = s.seed();
        }
        if (s.steps() != null && open.test("--steps")) {
            sampling.steps = s.steps();
        }
        if (s.cfg() != null && open.test("--cfg")) {
            cfg = s.cfg();
        }
        if (s.sampler() != null && open.test("--sampler")) {
            sampling.sampler = s.sampler();
        }
        if (s.scheduler() != null && open.test("--scheduler")) {
            sampling.scheduler = s.scheduler();
        }
        boolean storedCompat = open.test("--compat");
        if (storedCompat) {
            compat.compat = s.compat();
        }
        // The stored generator when the stored profile applies, or when it overrode its profile's own.
        if (open.test("--rng") && (storedCompat || !CompatProfile.parse(s.compat()).rng().cliName().equals(s.rng()))) {
            compat.rng = s.rng();
        }
        if (s.clipSkip() != null && open.test("--clip-skip")) {
            clipSkip = s.clipSkip();
        }
        // The stored image is not the init image: a stored strength applies only to an --init-image given here.
        if (s.denoise() != null && initImage != null && open.test("--denoise")) {
            denoise = s.denoise();
        }
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
    record Checked(CompatProfile compat, SamplerInfo sampler, ScheduleNames.Entry scheduler, Filter filter,
                   OnnxOptions options, Limits limits) {
    }

    /** Everything checked and read, before the network is loaded. */
    record Plan(Generation.Prepared run, Filter filter, OnnxOptions options) {
    }

    private Checked check() {
        CompatProfile profile = compat.profile();
        Limits limits = LimitFlag.parse(limit, "steps", "batch", "threads");
        try {
            Generation.checkSteps(sampling.steps, limits);
            Generation.checkCfg(cfg);
            Generation.checkBatch(batch, limits);
        } catch (SettingException e) {
            throw new UsageException(e.againstOption("--"));
        }
        if (scale < 1 || scale > 64) {
            throw new UsageException("--scale " + scale + " is not allowed; scale must be an integer in 1..64");
        }
        if (columns < 0) {
            throw new UsageException("--columns " + columns + " is not allowed; columns must be >= 0 (0 = automatic)");
        }
        if (batchCount < 1 || (long) batchCount * batch > limits.imageBatch()) {
            throw new UsageException("--batch-count " + batchCount + " is not allowed; batch count must be at least 1,"
                    + " with --batch x --batch-count at most " + limits.imageBatch()
                    + (batchCount > 1 ? " (" + limits.raise("batch", (long) batchCount * batch) + ")" : ""));
        }
        if (!(denoise > 0 && denoise <= 1)) {
            throw new UsageException("--denoise " + denoise + " is not allowed; denoise must be in (0, 1]");
        }
        if (denoise < 1 && initImage == null) {
            throw new UsageException("--denoise " + plain(denoise) + " needs --init-image (text-to-image starts from"
                    + " pure noise, denoise 1)");
        }
        if (clipSkip < 0) {
            throw new UsageException("--clip-skip " + clipSkip + " is not allowed; use 1 (the text encoder's last layer),"
                    + " 2 (the one before), ... (0 or unset: the model's own layer)");
        }
        if (each && batch * batchCount == 1) {
            throw new UsageException("--each needs --batch N with N > 1 (a single image is written to --out)");
        }
        Filter f;
        try {
            f = Filter.parse(filter);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--filter: " + e.getMessage());
        }
        OnnxOptions options = onnx.options(1, limits);
        SamplerInfo info = sampling.resolveSampler();   // A1111 labels too; a label's scheduler before --scheduler resolves
        ScheduleNames.Entry sched = sampling.scheduler(schedulerParameters);
        checkOutput();
        info.options(samplerParameters);
        return new Checked(profile, info, sched, f, options, limits);
    }

    /** The built-in kind of model: the settings checked against its folder by the library, as the server does. */
    private Plan prepare(Checked checked) {
        Generation.Settings settings = new Generation.Settings(model, prompt, negative, sampling.sampler, samplerParameters,
                checked.scheduler(), schedulerParameters, sampling.steps, cfg, seed, batch, checked.compat());
        try {
            // A schedule file's own step count, without --steps, is checked here too.
            return new Plan(Generation.prepare(settings, ModelFolders.home(), checked.limits()), checked.filter(),
                    checked.options());
        } catch (SettingException e) {
            throw new UsageException(e.againstOption("--"));
        }
    }

    void checkOutput() {
        String name = out.getFileName() == null ? "" : out.getFileName().toString();
        if (!name.toLowerCase(Locale.ROOT).endsWith(".png") || name.length() <= 4) {
            throw new UsageException("--out '" + out + "' must name a .png file, such as sneaker.png");
        }
        Outputs.checkFile("--out", out, "sneaker.png");
        if (each) {
            for (int i = 1; i <= batch * batchCount; i++) {
                Outputs.checkFile("--each", eachPath(out, i), "sneaker.png");
            }
        }
    }
}
