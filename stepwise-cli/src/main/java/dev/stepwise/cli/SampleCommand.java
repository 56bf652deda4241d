package dev.stepwise.cli;

import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.io.TextFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.CompatProfile;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.Sigmas;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.harness.Limits;
import dev.stepwise.harness.MixtureSpec;
import dev.stepwise.harness.ScheduleNames;
import dev.stepwise.harness.fit.ScheduleFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
 * {@code stepwise sample}: one run of a sampler and scheduler on a model, written as .npy with a JSON sidecar
 * holding every generation parameter. All input is checked before sampling starts, and the output files
 * appear only when complete.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Sample a model and write the samples as .npy (float32, shape [batch, dim]) "
                + "plus OUT.json with every generation parameter.",
        footer = {"", "Noise: torch.manual_seed(SEED); torch.randn(BATCH, DIM) is the starting noise, as in ComfyUI",
                "(--rng nv: A1111's NV generator instead; 'stepwise noise' writes it alone; --compat a1111: A1111's"
                        + " conventions).",
                "Exit codes: 0 done, 1 a failure while running or writing, 2 bad input (nothing written).", "",
                "Example:", "  stepwise sample --sampler dpmpp_2m --scheduler karras --steps 20 \\",
                "      --seed 42 --batch 8 --out samples.npy"})
final class SampleCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "gmm:SPEC.json",
            description = "The model: gmm:FILE, a Gaussian mixture spec (JSON). Default: the built-in 8-Gaussian ring (examples/gmm-ring.json).")
    String model;

    @Mixin
    SamplingOptions sampling = new SamplingOptions("euler", "normal");

    @Option(names = "--cfg", paramLabel = "X", defaultValue = "1", description = "Classifier-free guidance scale in [0, 100] (1 = no guidance). Default: ${DEFAULT-VALUE}.")
    double cfg;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Noise seed (torch.manual_seed). Default: ${DEFAULT-VALUE}.")
    long seed;

    @Mixin
    CompatOptions compat = new CompatOptions();

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1", description = "Samples to draw (1..1000000; --limit batch=N raises the limit). Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--out", paramLabel = "FILE.npy", required = true, description = "Output .npy file; FILE.npy.json gets the parameters." + Outputs.FILE_RULE)
    Path out;

    @Option(names = "--sigmas", paramLabel = "LIST|@FILE",
            description = "Explicit noise levels, e.g. 14.6,7.2,3.1,0 or @sigmas.txt (numbers separated by commas and/or "
                    + "whitespace, strictly decreasing); overrides --scheduler, --steps and --denoise.")
    String sigmas;

    @Option(names = "--init-noise", paramLabel = "NOISE.npy",
            description = "Standard-normal starting noise of shape [BATCH, DIM] instead of the seed's.")
    Path initNoise;

    @Option(names = "--denoise", paramLabel = "D", defaultValue = "1",
            description = "Denoising strength in (0, 1]: run the last STEPS of a STEPS/D-step schedule. Default: ${DEFAULT-VALUE}.")
    double denoise;

    @Option(names = "--label", paramLabel = "K", description = "Condition on class label K (the mixture's components labelled K).")
    Integer label;

    @Option(names = "--negative-label", paramLabel = "K",
            description = "Class label K as the negative (unconditional) branch of guidance. Default: unconditional.")
    Integer negativeLabel;

    @Option(names = "-P", paramLabel = "NAME=VALUE",
            description = "Sampler parameter, repeatable (e.g. -P eta=0.5 -P s_noise=1); see 'stepwise list samplers'.")
    Map<String, String> samplerParameters = new LinkedHashMap<>();

    @Option(names = "-S", paramLabel = "NAME=VALUE",
            description = "Scheduler parameter, repeatable (e.g. -S rho=5); see 'stepwise list schedulers'.")
    Map<String, String> schedulerParameters = new LinkedHashMap<>();

    @Option(names = "--noise", paramLabel = "KIND",
            description = "Per-step noise of ancestral/SDE samplers: ${COMPLETION-CANDIDATES}. Default: the library's ("
                    + "see the sidecar's \"noise\").",
            completionCandidates = NoiseKinds.class)
    String noise;

    @Option(names = "--limit", paramLabel = LimitFlag.LABEL, description = LimitFlag.SAMPLE)
    Map<String, String> limit = new LinkedHashMap<>();

    @Option(names = "--no-progress", description = "Never show the progress bar (it shows only on a terminal, for runs over a second).")
    boolean noProgress;

    /** The noise kinds core offers, as option values (lower case). */
    static final class NoiseKinds implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Arrays.stream(SampleRequest.NoiseKind.values()).map(k -> k.name().toLowerCase(Locale.ROOT)).iterator();
        }
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        Run run = prepare();
        SampleResult result;
        SampleRequest request;
        try (Progress progress = Progress.create(!noProgress)) {
            request = run.request(progress);
            result = Stepwise.sample(request);
        }
        LinkedHashMap<Path, byte[]> files = new LinkedHashMap<>();
        files.put(out, Npy.encode(result.samples()));
        files.put(sidecar(out), sidecarJson(run, request, result));
        try {
            AtomicFiles.write(files);
        } catch (IOException e) {
            throw new IOException("cannot write " + out + ": " + e, e);
        }
        stdout.printf(Locale.ROOT, "%s/%s, %d steps, batch %d: NFE %d in %.1f ms -> %s%n", sampling.sampler,
                run.sigmasGiven() ? "sigmas" : run.scheduler().name(), result.steps(), batch, result.calls().nfe(),
                result.elapsed().toNanos() / 1e6, out);
        stdout.flush();
        return 0;
    }

    static Path sidecar(Path npy) {
        return npy.resolveSibling(npy.getFileName() + ".json");
    }

    /** Everything checked and loaded, before any sampling. */
    record Run(Model model, String modelSource, GaussianMixture mixture, SamplerInfo samplerInfo,
               Map<String, Object> samplerValues, ScheduleNames.Entry scheduler, Map<String, Object> schedulerValues,
               double[] sigmas,
               boolean sigmasGiven, Tensor initialNoise, Conditioning positive, Conditioning negative, SampleRequest.Builder builder) {

        SampleRequest request(Progress progress) {
            return builder.listener(progress).build();
        }
    }

    private Run prepare() {
        CompatProfile profile = compat.profile();
        Limits limits = LimitFlag.parse(limit, "steps", "batch");
        sampling.check();
        SamplingOptions.checkCfg(cfg);
        if (!(denoise > 0 && denoise <= 1)) {
            throw new UsageException("--denoise " + denoise + " is not allowed; denoise must be in (0, 1]");
        }
        if (batch < 1) {
            throw new UsageException("--batch " + batch + " is not allowed; batch must be at least 1");
        }
        LimitFlag.check("--batch", batch, limits.batch(), "batch", "rows", limits);
        ScheduleNames.Entry scheduler = null;
        if (sigmas == null) {
            scheduler = sampling.scheduler(schedulerParameters);   // a schedule file: its own step count unless --steps
            checkSchedule(limits);
        }
        SamplerInfo info = Samplers.get(sampling.sampler);
        Map<String, Object> samplerValues = info.options(samplerParameters).asMap();

        double[] sigmaList = null;
        Map<String, Object> schedulerValues = Map.of();
        if (sigmas != null) {
            sigmaList = readSigmas(sigmas);
            if (sigmaList.length - 1 > limits.steps()) {
                throw new UsageException("--sigmas lists " + (sigmaList.length - 1) + " steps, over the limit of "
                        + limits.steps() + " steps; " + limits.raise("steps", sigmaList.length - 1));
            }
        } else {
            schedulerValues = scheduler.options(schedulerParameters);
        }

        GaussianMixture mixture;
        String source;
        if (model == null) {
            mixture = MixtureSpec.builtIn();
            source = "built-in " + MixtureSpec.BUILT_IN;
        } else if (model.startsWith("gmm:") && model.length() > 4) {
            mixture = MixtureSpec.read(Path.of(model.substring(4)));
            source = model;
        } else {
            throw new UsageException("--model '" + model + "' is not supported; allowed: gmm:FILE.json (a Gaussian mixture spec)");
        }
        Model m = mixture.model(source);
        if (scheduler != null) {
            scheduler.checkFits(m.name(), m.sampling());
        }

        Conditioning positive = conditioning("--label", label, mixture);
        Conditioning negative = conditioning("--negative-label", negativeLabel, mixture);

        LimitFlag.checkMemory("--batch", batch, m.sampleSize());
        int[] shape = Tensor.batchShape(batch, m.sampleShape());
        Tensor noiseTensor = initNoise == null ? null : readNoise(initNoise, shape);

        Outputs.checkFile("--out", out, "samples.npy");
        Outputs.checkFile("--out's sidecar", sidecar(out), "samples.npy.json");   // the sidecar is written with it, never without

        SampleRequest.Builder b = sampling.request(m, info, samplerParameters, scheduler, schedulerParameters)
                .denoise(denoise).cfg(cfg).seed(seed).compat(profile).batch(batch)
                .prompt(positive).negative(negative);
        if (noise != null) {
            b.noise(noiseKind(noise));
        }
        if (sigmaList != null) {
            b.sigmas(sigmaList);
        }
        if (noiseTensor != null) {
            b.initialNoise(noiseTensor);
        }
        return new Run(m, source, mixture, info, samplerValues, scheduler, schedulerValues, sigmaList, sigmaList != null,
                noiseTensor, positive, negative, b);
    }

    /**
     * The schedule a run computes has --steps / --denoise steps (it walks the last --steps of them, as ComfyUI's
     * KSampler), so --denoise 1e-300 asks for 2e301 sigmas: refused here, naming both, before any is computed.
     */
    private void checkSchedule(Limits limits) {
        boolean full = denoise > 0.9999;   // as Sigmas.forRun
        double total = full ? sampling.steps : Math.floor(sampling.steps / denoise);
        if (total <= limits.steps()) {
            return;
        }
        if (full) {
            LimitFlag.check("--steps", sampling.steps, limits.steps(), "steps", "steps", limits);
        }
        String count = total < 1e15 ? Long.toString((long) total) : String.format(Locale.ROOT, "%.2e", total);
        String raise = total <= Integer.MAX_VALUE ? "use a larger --denoise, or " + limits.raise("steps", (long) total)
                : "use a larger --denoise";
        throw new UsageException("--denoise " + denoise + " with --steps " + sampling.steps + " makes a " + count
                + "-step schedule (the run takes its last " + sampling.steps + "), over the limit of " + limits.steps()
                + " steps; " + raise);
    }

    static SampleRequest.NoiseKind noiseKind(String name) {
        for (SampleRequest.NoiseKind k : SampleRequest.NoiseKind.values()) {
            if (k.name().equalsIgnoreCase(name.trim())) {
                return k;
            }
        }
        throw new UsageException("--noise '" + name + "' is not available; allowed: " + String.join(", ", new NoiseKinds()));
    }

    private static Conditioning conditioning(String option, Integer label, GaussianMixture mixture) {
        if (label == null) {
            return Conditioning.NONE;
        }
        if (mixture.labelCount() == 0) {
            throw new UsageException(option + " " + label + " is not allowed: the model's components have no \"label\"");
        }
        if (label < 0 || label >= mixture.labelCount()) {
            throw new UsageException(option + " " + label + " is not allowed; the model's labels are 0.." + (mixture.labelCount() - 1));
        }
        Conditioning c = Conditioning.label(label, mixture.labelCount());
        mixture.weightsFor(c); // a label no component carries fails here, before sampling
        return c;
    }

    /** "--sigmas 14.6,7.2,0" or "--sigmas @file". */
    static double[] readSigmas(String value) {
        String text = value;
        String where = "--sigmas";
        if (value.startsWith("@")) {
            Path file = Path.of(value.substring(1));
            where = "--sigmas file '" + file + "'";
            try {
                text = TextFiles.decode(Files.readAllBytes(file), where, "a list of sigmas (numbers separated by"
                        + " commas, spaces or newlines)");
            } catch (NoSuchFileException e) {
                throw new UsageException(where + " does not exist");
            } catch (IOException e) {
                throw new UsageException("cannot read " + where + ": " + e.getMessage());
            }
        }
        try {
            return Sigmas.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException(where + ": " + e.getMessage());
        }
    }

    private static Tensor readNoise(Path file, int[] shape) {
        Tensor t;
        try {
            t = Npy.read(file);
        } catch (NoSuchFileException e) {
            throw new UsageException("--init-noise file '" + file + "' does not exist");
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            throw new UsageException("--init-noise: " + (m.contains(file.toString()) ? m : "cannot read '" + file + "': " + m));
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new UsageException("--init-noise '" + file + "' has shape " + Arrays.toString(t.shape())
                    + " but --batch and the model's dimension need " + Arrays.toString(shape));
        }
        int bad = Stepwise.firstNonFinite(t.data());
        if (bad >= 0) {
            // NaN or Inf noise gives NaN samples at every step; float64 values past float32's range read as Inf.
            throw new UsageException("--init-noise '" + file + "' holds " + t.data()[bad] + " at row " + bad / shape[1]
                    + ", column " + bad % shape[1] + "; starting noise must be finite (standard-normal values)");
        }
        return t;
    }

    private byte[] sidecarJson(Run run, SampleRequest request, SampleResult r) throws IOException {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("stepwise_version", Version.get());
        Map<String, Object> modelInfo = new LinkedHashMap<>();
        modelInfo.put("source", run.modelSource());
        modelInfo.put("kind", "gaussian_mixture");
        modelInfo.put("dim", run.mixture().dim());
        modelInfo.put("components", run.mixture().components().size());
        modelInfo.put("labels", run.mixture().labelCount());
        modelInfo.put("sampling", run.model().sampling().describe());
        modelInfo.put("sigma_min", run.model().sampling().sigmaMin());
        modelInfo.put("sigma_max", run.model().sampling().sigmaMax());
        j.put("model", modelInfo);
        j.put("sampler", run.samplerInfo().name());
        j.put("sampler_parameters", run.samplerValues());
        j.put("scheduler", run.sigmasGiven() ? null : run.scheduler().name());
        j.put("scheduler_parameters", run.sigmasGiven() ? null : run.schedulerValues());
        j.put("schedule_file", run.sigmasGiven() || !run.scheduler().isFile() ? null : scheduleFile(run.scheduler()));
        j.put("sigmas_from", run.sigmasGiven() ? "--sigmas" : "scheduler");
        j.put("steps", r.steps());
        j.put("requested_steps", run.sigmasGiven() ? null : sampling.steps);
        j.put("denoise", run.sigmasGiven() ? null : denoise);
        j.put("sigmas", r.sigmas());
        j.put("cfg", cfg);
        j.put("label", label);
        j.put("negative_label", negativeLabel);
        j.put("seed", seed);
        j.put("compat", request.compatOrDefault().name());
        j.put("rng", request.rngOrCpu().cliName());
        j.put("batch", batch);
        j.put("noise", request.noise().name().toLowerCase(Locale.ROOT));
        j.put("init_noise", initNoise == null ? null : initNoise.toString());
        j.put("shape", r.samples().shape());
        j.put("nfe", r.calls().nfe());
        j.put("cond_passes", r.calls().condPasses());
        j.put("uncond_passes", r.calls().uncondPasses());
        j.put("network_calls", r.calls().networkCalls());
        j.put("elapsed_ms", r.elapsed().toNanos() / 1e6);
        j.put("output", out.getFileName().toString());
        j.put("command", "stepwise " + commandArgs());
        String text = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(j);
        return (text + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** What the sidecar records of a schedule file: where it was read, what made it, and its own list. */
    private Map<String, Object> scheduleFile(ScheduleNames.Entry entry) {
        ScheduleFile f = entry.file();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("path", ScheduleNames.path(sampling.scheduler, null).toString());
        o.put("method", f.method());
        o.put("model", f.model());
        o.put("sampler", f.sampler());
        o.put("base", f.base());
        o.put("steps", f.steps());
        o.put("sigmas", f.sigmas());
        return o;
    }

    /** The arguments as given, for the record. */
    private String commandArgs() {
        return Main.quoted(spec.commandLine().getParseResult().originalArgs());
    }
}
