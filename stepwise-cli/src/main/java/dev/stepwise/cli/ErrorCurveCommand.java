package dev.stepwise.cli;

import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.harness.ImageSource;
import dev.stepwise.harness.Limits;
import dev.stepwise.harness.MixtureSource;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.harness.ModelSources;
import dev.stepwise.harness.fit.ErrorCurve;
import dev.stepwise.harness.fit.ErrorCurveChart;
import dev.stepwise.harness.fit.ErrorCurves;
import dev.stepwise.harness.fit.HeldOutImages;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.OnnxOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code stepwise error-curve}: a model's noise-prediction error MSE(sigma) at its training noise levels, on
 * held-out images (image models) or on draws from the mixture (with a deliberately misspecified denoiser, to check
 * the estimator), written as JSON with a plot beside it. Everything is checked before the model is opened; the
 * three files appear together, when complete.
 */
@Command(name = "error-curve", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Measure a model's noise-prediction error curve MSE(sigma) = E ||eps_hat(x_sigma, sigma) - eps||^2 / d "
                + "at its training noise levels, with a 95 %% band, and write it as JSON plus a log-log plot (PNG and SVG).",
        footer = {"", "Image models are measured on held-out images: the first N of those their folder names in heldout.json "
                + "(the built-in models: 1000 Fashion-MNIST test images in models/heldout/), or of --heldout; each image "
                + "with its true class unless --unconditional. Mixtures (gmm:SPEC.json) are measured on fresh draws at "
                + "each level; --misspecify K makes their denoiser the exact one with every std multiplied by K.",
                "Noise: the level at sigma-table index t uses torch.manual_seed(SEED * 1000003 + t); torch.randn(N, *shape), "
                        + "so the curve does not depend on --parallel.",
                "Time: the defaults (1000 levels x 256 images = 256,000 network rows) took 56 s for fashion-eps and 72 s "
                        + "for fashion-flow on this project's 2-core machine, and 188-206 s with other builds running (load "
                        + "average 4-7); time grows with --levels x --images.",
                "Exit codes: 0 done, 1 a failure while running or writing, 2 bad input (nothing written).", "",
                "Examples:", "  stepwise error-curve --model fashion-eps -o curve.json",
                "  stepwise error-curve --model gmm:examples/gmm-ring.json --misspecify 2 \\",
                "      --levels 50 -o ring.json"})
final class ErrorCurveCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "NAME|DIR|gmm:SPEC.json", defaultValue = "fashion-eps",
            description = "An image model under models/ or a model folder, or a mixture gmm:builtin / gmm:FILE.json. "
                    + "Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--images", paramLabel = "N", defaultValue = "" + ErrorCurves.DEFAULT_SAMPLES,
            description = "Samples per level: held-out images (at most as many as there are), or draws from a mixture. "
                    + "Default: ${DEFAULT-VALUE}.")
    int images;

    @Option(names = "--levels", paramLabel = "N",
            description = "Noise levels: N evenly spaced entries of the model's sigma table, both ends included (2..the "
                    + "table's size). Default: every entry (1000 for the built-in models and mixtures).")
    Integer levels;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Noise seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--unconditional", description = "Measure the unconditional branch (class weights all zero) instead "
            + "of the prediction conditioned on each sample's true class.")
    boolean unconditional;

    @Option(names = "--misspecify", paramLabel = "K",
            description = "Mixtures only: measure the exact denoiser of the mixture with every component's std multiplied "
                    + "by K (> 0; 1 = the exact denoiser), whose error is known, to check the measurement.")
    Double misspecify;

    @Option(names = "--heldout", paramLabel = "DIR|FILE.json|FILE.npy",
            description = "Image models: the held-out images, a folder holding heldout.json, such a .json, or a .npy of "
                    + "uint8 images [N, H, W] or [N, C, H, W] in the model's shape. Default: the model folder's heldout.json.")
    Path heldout;

    @Option(names = "--labels", paramLabel = "FILE.npy",
            description = "With --heldout FILE.npy: the images' classes, uint8 [N]. Without labels only --unconditional "
                    + "can be measured.")
    Path labels;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE.json", required = true,
            description = "Output curve; the plot goes beside it as FILE.png and FILE.svg." + Outputs.FILE_RULE)
    Path out;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "0",
            description = "Levels measured at once (0 = one per core). Default: ${DEFAULT-VALUE}.")
    int parallel;

    @Mixin
    DeviceOptions onnx = new DeviceOptions();

    @Option(names = "--limit", paramLabel = LimitFlag.LABEL, description = LimitFlag.ERROR_CURVE)
    Map<String, String> limit = new LinkedHashMap<>();

    @Option(names = "--no-progress", description = "Never show the progress bar (it shows only on a terminal).")
    boolean noProgress;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        Limits limits = LimitFlag.parse(limit, "batch", "threads");
        if (images < 1) {
            throw new UsageException("--images " + images + " is not allowed; give 1 or more samples per level");
        }
        LimitFlag.check("--images", images, limits.batch(), "batch", "samples per level", limits);
        if (parallel < 0) {
            throw new UsageException("--parallel " + parallel + " is not allowed; give 0 (one per core) or more");
        }
        LimitFlag.check("--parallel", parallel, limits.threads(), "threads", "levels at once", limits);
        if (misspecify != null && !(misspecify > 0 && Double.isFinite(misspecify))) {
            throw new UsageException("--misspecify " + misspecify + " is not allowed; give a finite factor K > 0 (1 = the"
                    + " exact denoiser)");
        }
        int workers = parallel > 0 ? parallel : Runtime.getRuntime().availableProcessors();
        Path png = sibling(".png"), svg = sibling(".svg");
        boolean mixture = ModelSources.isMixture(model);

        ErrorCurve curve;
        long t0;
        if (mixture) {
            if (heldout != null || labels != null) {
                throw new UsageException((heldout != null ? "--heldout" : "--labels") + " is for image models; a mixture's"
                        + " samples are drawn from it");
            }
            MixtureSource source = ModelSources.mixture(model, "--model");
            double k = misspecify == null ? 1 : misspecify;
            checkMisspecification(source, k);
            ErrorCurves.Settings settings = settings(source.mixture().sampling(), workers);
            checkOutputs(png, svg);
            checkMemory(Math.min(workers, settings.levels() == 0 ? Integer.MAX_VALUE : settings.levels()), source.mixture().dim());
            t0 = System.nanoTime();
            try (Progress.Phases progress = new Progress.Phases(!noProgress)) {
                Progress.Phases.Counter levels = progress.phase("error curve", " levels");
                curve = ErrorCurves.mixture(source, k, settings, levels::at);
            }
        } else {
            if (misspecify != null) {
                throw new UsageException("--misspecify is for mixtures (gmm:SPEC.json), whose exact denoiser it alters; "
                        + model + " is an image model");
            }
            if (labels != null && heldout == null) {
                throw new UsageException("--labels goes with --heldout FILE.npy (the images it labels)");
            }
            Path dir = ModelFolders.resolve(model);
            ModelConfig config = ImageSource.config(dir);
            ErrorCurves.Settings settings = settings(config.sampling(), workers);
            HeldOutImages data = heldout == null ? HeldOutImages.forModel(dir, config, "--heldout")
                    : HeldOutImages.read(heldout, labels, config);
            if (images > data.count()) {
                throw new UsageException("--images " + images + " is more than the " + data.count() + " held-out images of "
                        + data.description() + "; give at most " + data.count());
            }
            if (!unconditional && !data.hasLabels()) {
                throw new UsageException("the held-out images " + data.description() + " have no labels; give --labels"
                        + " FILE.npy, or measure --unconditional");
            }
            checkOutputs(png, svg);
            OnnxOptions options = onnx.options(workers, limits);
            t0 = System.nanoTime();
            try (ImageSource source = ImageSource.open(dir, null, options);
                 Progress.Phases progress = new Progress.Phases(!noProgress)) {
                Progress.Phases.Counter levels = progress.phase("error curve", " levels");
                curve = ErrorCurves.images(source, data, settings, levels::at);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<Path, byte[]> files = new LinkedHashMap<>();
        files.put(out, curve.toJson());
        files.put(png, ErrorCurveChart.png(curve));
        files.put(svg, ErrorCurveChart.svg(curve));
        try {
            AtomicFiles.write(files);
        } catch (IOException e) {
            throw new IOException("cannot write " + out + ": " + e, e);
        }
        double[] mse = curve.mse();
        double[] s = curve.sigmas();
        stdout.printf(Locale.ROOT, "%s: %d levels (sigma %.4g..%.4g) x %d samples, %s: MSE %.4g..%.4g in %.1f s -> %s, %s, %s%n",
                curve.model(), curve.levels(), s[0], s[s.length - 1], curve.samples(), curve.conditioning(),
                Arrays.stream(mse).min().orElse(0), Arrays.stream(mse).max().orElse(0), seconds, out, png, svg);
        stdout.flush();
        return 0;
    }

    /** The run's settings, with --levels checked against the model's sigma table. */
    private ErrorCurves.Settings settings(ModelSampling sampling, int workers) {
        int size = sampling.sigmaTable().length;
        if (levels != null && (levels < 2 || levels > size)) {
            throw new UsageException("--levels " + levels + " is not allowed; the model's sigma table has " + size
                    + " entries, so give 2.." + size);
        }
        return new ErrorCurves.Settings(levels == null ? 0 : levels, images, seed, unconditional, workers);
    }

    /**
     * Refuses a run whose buffers cannot fit in the memory Java may use, before any is allocated: each worker holds
     * the level's clean samples, noise and noisy samples (three float32 values per value of every sample).
     */
    private void checkMemory(int workers, int valuesPerSample) {
        long needed = (long) workers * images * valuesPerSample * 3 * Float.BYTES, max = Runtime.getRuntime().maxMemory();
        if (needed > max) {
            throw new UsageException("--images " + images + " of " + valuesPerSample + "-value samples in " + workers
                    + " levels at once needs about " + needed / (1 << 20) + " MiB, more than the " + max / (1 << 20)
                    + " MiB Java may use; use fewer --images or --parallel, or give Java more (STEPWISE_JAVA_OPTS=-Xmx"
                    + (needed / (1L << 30) + 2) + "g)");
        }
    }

    /** K times the largest std must stay where the mixture's arithmetic is finite (MixtureSpec's bound). */
    private static void checkMisspecification(MixtureSource source, double k) {
        double max = source.mixture().components().stream().mapToDouble(c -> c.std()).max().orElse(0);
        if (max * k > 1e30) {
            throw new UsageException("--misspecify " + k + " makes a std of " + max * k + "; std x K must be at most 1e30"
                    + " (float32 samples overflow past it)");
        }
    }

    /** FILE.json's plot files: FILE.png and FILE.svg. */
    private Path sibling(String extension) {
        String name = out.getFileName() == null ? "" : out.getFileName().toString();
        if (!name.toLowerCase(Locale.ROOT).endsWith(".json") || name.length() <= 5) {
            throw new UsageException("--out '" + out + "' must name a .json file, such as curve.json");
        }
        return out.resolveSibling(name.substring(0, name.length() - 5) + extension);
    }

    private void checkOutputs(Path png, Path svg) {
        Outputs.checkFile("--out", out, "curve.json");
        Outputs.checkFile("--out (its plot)", png, "curve.json");
        Outputs.checkFile("--out (its plot)", svg, "curve.json");
    }
}
