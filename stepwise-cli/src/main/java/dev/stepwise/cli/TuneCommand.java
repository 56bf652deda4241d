package dev.stepwise.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.Scheduler;
import dev.stepwise.core.schedule.Sigmas;
import dev.stepwise.harness.Cell;
import dev.stepwise.harness.Cells;
import dev.stepwise.harness.ImageSource;
import dev.stepwise.harness.Limits;
import dev.stepwise.harness.MixtureSource;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.harness.ModelSource;
import dev.stepwise.harness.ModelSources;
import dev.stepwise.harness.Plan;
import dev.stepwise.harness.PlanCheck;
import dev.stepwise.harness.PlanReader;
import dev.stepwise.harness.ScheduleNames;
import dev.stepwise.harness.Summary;
import dev.stepwise.harness.fit.ErrorCurve;
import dev.stepwise.harness.fit.ErrorCurves;
import dev.stepwise.harness.fit.FittedSchedules;
import dev.stepwise.harness.fit.HeldOutImages;
import dev.stepwise.harness.fit.ScheduleFile;
import dev.stepwise.harness.fit.Tuning;
import dev.stepwise.harness.fit.Vrg;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.OnnxOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
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
import picocli.CommandLine.Spec;

/**
 * {@code stepwise tune}: "what should I use on this model at this budget?". Fits VRG (per sampler) and GITS lists on
 * the spot, runs one comparison of samplers x schedules (the generic schedulers, the published tables that fit the
 * model's noise schedule, the fitted lists) at one NFE budget, ranks the configurations by the best quality figure the
 * model has, and writes the winner's list as a schedule file with a report that sets it against a baseline.
 */
@Command(name = "tune", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Find the best sampler and schedule for a model at an NFE budget: fits VRG and GITS lists to the "
                + "model, compares them with the built-in schedulers and the published tables that fit, and writes the "
                + "winner's schedule file and a ranking with confidence intervals.",
        footer = {"", "Writes into --out: tune.md and tune.json (the ranking, the baseline, the verdict), schedule.json (the "
                + "winner's list: --scheduler file:OUT/schedule.json), compare/ and baseline/ (full compare reports), "
                + "schedules/ (the fitted lists), curve.json (the error curve VRG used; measured once and reused on a rerun)"
                + " and plan.json (the comparison, for 'stepwise compare OUT/plan.json').",
                "The ranking figure: classifier FD on models with a classifier (the built-in ones), the exact sliced W1 on "
                        + "mixtures, otherwise the distance to a converged reference solve.",
                "Exit codes: 0 done, 1 a failure while running or writing, 2 bad input (nothing run); Ctrl-C: 130.", "",
                "Examples:",
                "  stepwise tune --model fashion-eps --nfe 5 --out reports/tune-5",
                "  stepwise tune --model gmm:builtin --nfe 8 --samplers euler,dpmpp_2m --out reports/tune-gmm"})
final class TuneCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** The largest budget tune takes: fitting and comparing beyond it is what compare is for. */
    static final int MAX_NFE = 200;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "NAME|DIR|gmm:SPEC", defaultValue = "fashion-eps",
            description = "Image model name under models/ or folder, or gmm:builtin / gmm:FILE.json. Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--nfe", paramLabel = "N", required = true, description = "The budget: model calls per image (1.." + MAX_NFE + ").")
    int nfe;

    @Option(names = "--samplers", paramLabel = "NAME", split = ",", splitSynopsisLabel = ",",
            description = "Samplers to try. Default: euler,dpmpp_2m,deis,ipndm,uni_pc.")
    List<String> samplers;

    @Option(names = "--schedulers", paramLabel = "NAME", split = ",", splitSynopsisLabel = ",",
            description = "Registry schedulers to try. Default: every generic one (normal, karras, exponential, sgm_uniform,"
                    + " simple, ddim_uniform, beta, linear_quadratic, kl_optimal), and ays sd1, ays sdxl and the gits table "
                    + "where the model has Stable Diffusion's noise schedule.")
    List<String> schedulers;

    @Option(names = "--fit", paramLabel = "vrg,gits|none", split = ",", splitSynopsisLabel = ",",
            description = "Lists to fit on the spot: vrg (one per sampler, from --from), gits (one, shared). Default: vrg,gits.")
    List<String> fit;

    @Option(names = "--from", paramLabel = "NAME", defaultValue = "karras",
            description = "The base list VRG starts from. Default: ${DEFAULT-VALUE}.")
    String from;

    @Option(names = "--radius", paramLabel = "R|inf", defaultValue = "0.25",
            description = "VRG's search radius, as in optimize-schedule. Default: ${DEFAULT-VALUE}.")
    String radiusText;

    @Option(names = "--curve", paramLabel = "FILE.json",
            description = "The model's error curve for VRG. Default: OUT/curve.json, measured (about a minute on the built-in"
                    + " models) unless it is there from an earlier run.")
    Path curve;

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "A prompt, repeatable. Default: every class of an image model, one unconditional prompt on a mixture.")
    List<String> prompts;

    @Option(names = "--seeds", paramLabel = "LIST", defaultValue = "0", description = "Seeds: 0, 1-4. Default: ${DEFAULT-VALUE}.")
    String seeds;

    @Option(names = "--batch", paramLabel = "N",
            description = "Images (rows) per prompt and seed. Default: 100 on image models (1,000 images over the ten "
                    + "classes), 4096 on mixtures.")
    Integer batch;

    @Option(names = "--cfg", paramLabel = "X", description = "Guidance scale in [0, 100]. Default: 3 for image models, 1 for mixtures.")
    Double cfg;

    @Option(names = "--baseline", paramLabel = "SAMPLER/SCHEDULER/NFE|none", defaultValue = "dpmpp_2m/karras/20",
            description = "The configuration the winner is read against, run on the same prompts and seeds. "
                    + "Default: ${DEFAULT-VALUE}.")
    String baseline;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", defaultValue = "tune-report",
            description = "Output folder (created; an earlier tune's folder is resumed). Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "0", description = "Cells run at once (0 = one per core).")
    int parallel;

    @Mixin
    DeviceOptions onnx = new DeviceOptions();

    @Option(names = "--limit", paramLabel = LimitFlag.LABEL, description = LimitFlag.COMPARE)
    Map<String, String> limit = new LinkedHashMap<>();

    @Option(names = "--no-progress", description = "Never show progress bars (they show only on a terminal).")
    boolean noProgress;

    @Option(names = "--force", description = "Replace compare/ and baseline/ reports of another plan in --out (as compare --force).")
    boolean force;

    /** A configuration given as SAMPLER/SCHEDULER/NFE. */
    record Baseline(String sampler, String scheduler, int nfe) {
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        Limits limits = LimitFlag.parse(limit, Limits.NAMES.toArray(String[]::new));
        if (nfe < 1 || nfe > MAX_NFE) {
            throw new UsageException("--nfe " + nfe + " is not allowed; give 1.." + MAX_NFE);
        }
        if (parallel < 0) {
            throw new UsageException("--parallel " + parallel + " is not allowed; give 0 (one per core) or more");
        }
        boolean mixture = ModelSources.isMixture(model);
        List<String> samplerNames = samplers != null ? samplers.stream().map(String::strip).toList() : Tuning.DEFAULT_SAMPLERS;
        for (String s : samplerNames) {
            if (!Samplers.names().contains(s)) {
                throw new UsageException("--samplers: unknown sampler '" + s + "'; see 'stepwise list samplers'");
            }
        }
        List<String> fits = fit != null ? fit.stream().map(String::strip).toList() : List.of("vrg", "gits");
        for (String f : fits) {
            if (!List.of("vrg", "gits", "none").contains(f) || f.equals("none") && fits.size() > 1) {
                throw new UsageException("--fit '" + String.join(",", fits) + "' is not allowed; give vrg, gits, vrg,gits or none");
            }
        }
        boolean fitVrg = fits.contains("vrg"), fitGits = fits.contains("gits");
        double radius = OptimizeScheduleCommand.radius(radiusText);
        Baseline base = baseline(baseline);
        double scale = cfg != null ? cfg : Plan.defaultCfg(model);
        SamplingOptions.checkCfg(scale);
        int rows = batch != null ? batch : mixture ? 4096 : 100;
        if (rows < 1) {
            throw new UsageException("--batch " + rows + " is not allowed; give 1 or more");
        }
        Outputs.checkFolder("--out", out);

        // The model's facts, before anything is fitted or written.
        Path home = ModelFolders.home();
        String modelName;
        ModelSampling sampling;
        Path dir = null;
        ModelConfig config = null;
        List<String> classes;
        if (mixture) {
            var source = ModelSources.mixture(model, "--model");
            modelName = source.name();
            sampling = source.mixture().sampling();
            classes = List.of();
        } else {
            dir = ModelFolders.resolve(model);
            config = ImageSource.config(dir);
            modelName = config.name();
            sampling = config.sampling();
            classes = config.classes();
        }
        List<String> promptTexts = prompts != null ? prompts : mixture || classes.isEmpty() ? List.of("") : classes;
        List<Tuning.Table> scheduleEntries = scheduleEntries(sampling);

        int workers = parallel > 0 ? parallel : Runtime.getRuntime().availableProcessors();
        OnnxOptions options = mixture ? null : onnx.options(workers, limits);
        Files.createDirectories(out.resolve("schedules"));
        List<String> notes = new ArrayList<>();

        // VRG: one list per sampler that it can trace, at the step count the budget gives that sampler on the base list.
        Map<String, FittedSchedules.VrgResult> vrg = new LinkedHashMap<>();
        if (fitVrg) {
            ErrorCurve errors = errorCurve(mixture, dir, config, modelName, sampling, workers, options, notes);
            if (errors != null) {
                for (String s : samplerNames) {
                    SamplerInfo info = Samplers.get(s);
                    int steps = stepsAt(info, from, sampling);
                    if (info.stochastic() || info.adaptive() || info.cfgPp() || steps < 2) {
                        notes.add("VRG: no list for " + s + (steps < 2 ? " (the budget gives it fewer than 2 steps)"
                                : " (VRG traces deterministic fixed-step samplers only)"));
                        continue;
                    }
                    try {
                        FittedSchedules.VrgResult r = FittedSchedules.vrg(info, info.options(Map.of()).asMap(), modelName,
                                sampling, errors, curveFile().toString(), from, steps, radius);
                        r.file().write(out.resolve("schedules").resolve("vrg-" + s + ".json"));
                        vrg.put(s, r);
                    } catch (IllegalArgumentException e) {
                        notes.add("VRG: no list for " + s + ": " + e.getMessage());
                    }
                }
            }
        }
        FittedSchedules.GitsResult gits = null;
        if (fitGits) {
            if (nfe < 2) {
                notes.add("GITS: no list (a budget of 1 gives one step, nothing to choose)");
            } else {
                try (ModelSource source = mixture ? ModelSources.mixture(model, "--model") : ImageSource.open(dir, null, options);
                     Progress.Phases progress = new Progress.Phases(!noProgress)) {
                    gits = FittedSchedules.gits(source, FittedSchedules.GitsSettings.defaults(nfe, scale),
                            progress.phase("GITS teacher", " steps")::at, progress.phase("GITS costs", " levels")::at);
                }
                gits.file().write(out.resolve("schedules").resolve("gits.json"));
            }
        }

        // The comparison: every sampler with every registry schedule and the GITS list, each VRG list with its sampler.
        ObjectNode planJson = plan("tune " + modelName + " at " + nfe + " NFE", samplerNames, promptTexts, rows, scale, nfe,
                mixture, classes);
        ArrayNode schedulerList = planJson.putArray("schedulers");
        for (Tuning.Table e : scheduleEntries) {
            ObjectNode o = schedulerList.addObject().put("name", e.name());
            if (!e.parameters().isEmpty()) {
                o.set("params", JSON.valueToTree(e.parameters()));
            }
            o.put("label", e.label());
        }
        if (gits != null) {
            schedulerList.addObject().put("name", "file:schedules/gits.json").put("label", "gits fitted");
        }
        for (String s : vrg.keySet()) {
            ObjectNode o = schedulerList.addObject().put("name", "file:schedules/vrg-" + s + ".json").put("label", "vrg " + s);
            o.putArray("samplers").add(s);
        }
        Plan plan = parse(planJson, "tune plan");
        List<Cell> cells = PlanCheck.check(plan, home, limits);
        AtomicFiles.write(Map.of(out.resolve("plan.json"), JSON.writeValueAsBytes(planJson)));
        Summary summary = CompareCommand.run(plan, cells, home, options, out.resolve("compare"), force, !noProgress, null,
                out.resolve("compare").resolve("scores.csv"), stderr, CompareCommand.resumeCommand(spec));

        Summary.Row baselineRow = null;
        if (base != null) {
            ObjectNode b = plan("tune baseline " + base.sampler() + " / " + base.scheduler() + " at " + base.nfe() + " NFE",
                    List.of(base.sampler()), promptTexts, rows, scale, base.nfe(), mixture, classes);
            b.putArray("schedulers").add(base.scheduler());
            Plan bp = parse(b, "--baseline");
            List<Cell> bc = PlanCheck.check(bp, home, limits);
            baselineRow = CompareCommand.run(bp, bc, home, options, out.resolve("baseline"), force, !noProgress, null,
                    out.resolve("baseline").resolve("scores.csv"), stderr, CompareCommand.resumeCommand(spec)).rows().get(0);
        }

        Tuning.Figure figure;
        try {
            figure = Tuning.figure(summary.rows());
        } catch (IllegalArgumentException e) {
            throw new IOException("tune: " + e.getMessage() + "; see " + out.resolve("compare").resolve("summary.md"), e);
        }
        List<Tuning.Ranked> ranking = Tuning.rank(summary.rows(), figure);
        Tuning.Ranked winner = ranking.get(0);
        if (!Double.isFinite(winner.value())) {
            throw new IOException("tune: no configuration produced a " + figure.label() + "; see "
                    + out.resolve("compare").resolve("summary.md"));
        }
        Tuning.Ranked baseRanked = baselineRow == null ? null : Tuning.rank(List.of(baselineRow), figure).get(0);
        ScheduleFile winnerFile = winnerFile(plan, winner, modelName, sampling, figure, baseRanked);
        Map<Path, byte[]> files = new LinkedHashMap<>();
        files.put(out.resolve("schedule.json"), winnerFile.toBytes());
        files.put(out.resolve("tune.md"), markdown(modelName, figure, ranking, baseRanked, vrg, gits, notes, winnerFile,
                summary.baselines())
                .getBytes(StandardCharsets.UTF_8));
        files.put(out.resolve("tune.json"), JSON.writeValueAsBytes(json(modelName, figure, ranking, baseRanked, vrg, notes)));
        AtomicFiles.write(files);

        Cell.Config w = winner.row().config();
        stdout.printf(Locale.ROOT, "tune %s at %d NFE: %s / %s (%d steps), %s %s%s -> %s%n", modelName, nfe,
                w.sampler().label(), w.scheduler().label(), winner.row().steps(), figure.label(), figureText(winner),
                baseRanked == null ? "" : "; baseline " + label(baseRanked) + " " + figureText(baseRanked)
                        + (winner.within(baseRanked) ? " (within its interval)" : ""),
                out.resolve("tune.md"));
        stdout.flush();
        return 0;
    }

    /** The registry schedules as plan entries {name, params, label}: the generic ones and the tables that fit. */
    private List<Tuning.Table> scheduleEntries(ModelSampling sampling) {
        List<Tuning.Table> out = new ArrayList<>();
        if (schedulers != null) {
            for (String s : schedulers) {
                String n = s.strip();
                if (ScheduleNames.isFile(n)) {
                    throw new UsageException("--schedulers takes registry names; tune fits its own lists (--fit)");
                }
                out.add(new Tuning.Table(n, Map.of(), n));
            }
            return out;
        }
        for (String n : Tuning.GENERIC) {
            out.add(new Tuning.Table(n, Map.of(), n));
        }
        out.addAll(Tuning.tables(sampling));
        return out;
    }

    /** The steps a sampler walks at the budget on the base list (for a VRG fit at the step count it will run). */
    private int stepsAt(SamplerInfo info, String base, ModelSampling sampling) {
        Scheduler scheduler;
        try {
            scheduler = dev.stepwise.core.schedule.Schedulers.get(base).create(Map.of());
        } catch (IllegalArgumentException e) {
            // uniform, logsnr, quadratic: one call per step for the one-call samplers VRG traces.
            return nfe / Math.max(1, info.callsPerStep());
        }
        return Cells.stepsFor(info, scheduler, sampling, nfe);
    }

    private Path curveFile() {
        return curve != null ? curve : out.resolve("curve.json");
    }

    /** The curve VRG reads: --curve, an earlier run's, or measured now; null (with a note) where none can be had. */
    private ErrorCurve errorCurve(boolean mixture, Path dir, ModelConfig config, String modelName, ModelSampling sampling,
                                  int workers, OnnxOptions options, List<String> notes) throws IOException {
        Path file = curveFile();
        if (curve != null || Files.isRegularFile(file)) {
            ErrorCurve c = ErrorCurve.read(file);
            try {
                c.requireModel(modelName, sampling);
            } catch (IllegalArgumentException e) {
                throw new UsageException((curve != null ? "--curve " : "") + file + ": " + e.getMessage());
            }
            return c;
        }
        ErrorCurves.Settings settings = new ErrorCurves.Settings(0, ErrorCurves.DEFAULT_SAMPLES, 0, false, workers);
        ErrorCurve c;
        if (mixture) {
            // The exact denoiser's error: the posterior spread of x0, as error-curve measures it by default.
            MixtureSource source = ModelSources.mixture(model, "--model");
            try (Progress.Phases progress = new Progress.Phases(!noProgress)) {
                c = ErrorCurves.mixture(source, 1, settings, progress.phase("error curve", " levels")::at);
            }
            AtomicFiles.write(Map.of(file, c.toJson()));
            return c;
        }
        HeldOutImages data;
        try {
            data = HeldOutImages.forModel(dir, config, "error-curve --heldout");
        } catch (IllegalArgumentException e) {
            notes.add("VRG: no lists: " + e.getMessage() + ", then tune --curve FILE.json");
            return null;
        }
        try (ImageSource source = ImageSource.open(dir, null, options);
             Progress.Phases progress = new Progress.Phases(!noProgress)) {
            c = ErrorCurves.images(source, data, settings, progress.phase("error curve", " levels")::at);
        }
        AtomicFiles.write(Map.of(file, c.toJson()));
        return c;
    }

    /** The plan's JSON without its schedulers: the samplers, prompts, seeds, batch, cfg and budget. */
    private ObjectNode plan(String name, List<String> samplerNames, List<String> promptTexts, int rows, double scale,
                            int budget, boolean mixture, List<String> classes) {
        ObjectNode p = JsonNodeFactory.instance.objectNode();
        p.put("name", name);
        p.put("model", model);
        samplerNames.forEach(p.putArray("samplers")::add);
        p.putArray("nfe").add(budget);
        p.putArray("cfg").add(scale);
        promptTexts.forEach(p.putArray("prompts")::add);
        p.put("seeds", seeds);
        p.put("batch", rows);
        // FD needs no reference solve (199 calls an image); a model without it is ranked by the exact sliced W1 (2-D
        // mixtures) or the distance to the reference, which on a mixture's exact denoiser costs little.
        if (!mixture && !classes.isEmpty() && ModelFolders.home().resolve(ModelSources.CLASSIFIER).toFile().isDirectory()) {
            p.put("reference", false);
        }
        return p;
    }

    private Plan parse(ObjectNode json, String source) {
        try {
            return PlanReader.parse(JSON.writeValueAsBytes(json), false, source, out.toAbsolutePath());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the tune plan", e);
        }
    }

    static Baseline baseline(String text) {
        if (text.strip().equals("none")) {
            return null;
        }
        String[] parts = text.strip().split("/");
        if (parts.length != 3) {
            throw new UsageException("--baseline '" + text + "' is not allowed; give SAMPLER/SCHEDULER/NFE (dpmpp_2m/karras/20) or none");
        }
        int n;
        try {
            n = Integer.parseInt(parts[2].strip());
        } catch (NumberFormatException e) {
            throw new UsageException("--baseline '" + text + "': NFE '" + parts[2] + "' is not a whole number");
        }
        if (n < 1 || n > Limits.DEFAULT.nfe()) {
            throw new UsageException("--baseline '" + text + "': NFE " + n + " is not allowed; give 1.." + Limits.DEFAULT.nfe());
        }
        if (!Samplers.names().contains(parts[0].strip())) {
            throw new UsageException("--baseline '" + text + "': unknown sampler '" + parts[0].strip() + "'");
        }
        if (!dev.stepwise.core.schedule.Schedulers.names().contains(parts[1].strip())) {
            throw new UsageException("--baseline '" + text + "': unknown scheduler '" + parts[1].strip() + "'");
        }
        return new Baseline(parts[0].strip(), parts[1].strip(), n);
    }

    /** The winner's exact sigma list as a schedule file: what the winning cells walked. */
    private ScheduleFile winnerFile(Plan plan, Tuning.Ranked winner, String modelName, ModelSampling sampling,
                                    Tuning.Figure figure, Tuning.Ranked base) {
        Cell.Config c = winner.row().config();
        SamplerInfo info = Samplers.get(c.sampler().name());
        Scheduler scheduler = ScheduleNames.of(c.scheduler()).create(c.scheduler().parameters());
        double[] sigmas = Sigmas.forRun(scheduler, sampling, winner.row().steps(), 1.0, info.discardPenultimate());
        ObjectNode details = JsonNodeFactory.instance.objectNode();
        details.put("tuned_by", "stepwise tune --nfe " + nfe + " (" + plan.name() + ")");
        details.put("schedule", c.scheduler().label());
        details.put("nfe", winner.row().nfe());
        details.put("figure", figure.label());
        details.put("value", winner.value());
        if (Double.isFinite(winner.low())) {
            details.put("low", winner.low());
            details.put("high", winner.high());
        }
        details.put("adherence", winner.row().adherence());
        details.put("images", winner.row().images());
        if (base != null) {
            details.put("baseline", label(base));
            details.put("baseline_value", base.value());
        }
        return ScheduleFile.of("tune", modelName, sampling, info.name(), c.scheduler().label(), sigmas, details);
    }

    private static String label(Tuning.Ranked r) {
        Cell.Config c = r.row().config();
        return c.sampler().label() + " / " + c.scheduler().label() + " at " + c.stepAxis() + " NFE";
    }

    private static String figureText(Tuning.Ranked r) {
        if (!Double.isFinite(r.value())) {
            return "–";
        }
        return Double.isFinite(r.low()) ? String.format(Locale.ROOT, "%s (%s–%s)", num(r.value()), num(r.low()), num(r.high()))
                : num(r.value());
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3g", v) : "–";
    }

    private String markdown(String modelName, Tuning.Figure figure, List<Tuning.Ranked> ranking, Tuning.Ranked base,
                            Map<String, FittedSchedules.VrgResult> vrg, FittedSchedules.GitsResult gits, List<String> notes,
                            ScheduleFile winnerFile, List<Summary.Baseline> exact) {
        StringBuilder b = new StringBuilder();
        Tuning.Ranked w = ranking.get(0);
        Cell.Config wc = w.row().config();
        b.append("# Tune: ").append(modelName).append(" at ").append(nfe).append(" NFE\n\n");
        b.append("Ranked by ").append(figure.label()).append(" (lower is better")
                .append(figure == Tuning.Figure.FRECHET ? "; 95 % bootstrap interval in brackets" : "").append("), ")
                .append(w.row().images()).append(" images or samples per configuration, cfg ").append(Cell.plain(wc.cfg()))
                .append(". Full report: [compare/summary.md](compare/summary.md).\n\n");
        b.append("**Winner: ").append(wc.sampler().label()).append(" / ").append(wc.scheduler().label()).append("**, ")
                .append(w.row().steps()).append(" steps, ").append(Cell.plain(w.row().nfe())).append(" NFE: ").append(figure.label())
                .append(' ').append(figureText(w));
        if (Double.isFinite(w.row().adherence())) {
            b.append(", adherence ").append(String.format(Locale.ROOT, "%.1f %%", 100 * w.row().adherence()));
        }
        b.append(".\n\n");
        if (figure == Tuning.Figure.SLICED_W1) {
            for (Summary.Baseline e : exact) {
                if (Double.isFinite(e.slicedW1())) {
                    b.append(String.format(Locale.ROOT, "Exact samples of the target (prompt \"%s\") score sliced W1 %s ± %s"
                                    + " over %d sets of %d: the figure's own sampling noise.%n%n", e.prompt(), num(e.slicedW1()),
                            num(e.w1Std()), e.sets(), e.samples()));
                }
            }
        }
        List<String> tied = ranking.stream().skip(1).filter(r -> w.within(r))
                .map(r -> r.row().config().sampler().label() + " / " + r.row().config().scheduler().label()).toList();
        if (!tied.isEmpty()) {
            b.append("Within noise of the winner (their intervals hold its ").append(figure.label()).append("): ")
                    .append(String.join(", ", tied)).append(". Any of them is as good a choice on this evidence.\n\n");
        }
        if (base != null) {
            b.append("Baseline ").append(label(base)).append(": ").append(figure.label()).append(' ').append(figureText(base));
            if (Double.isFinite(base.row().adherence())) {
                b.append(", adherence ").append(String.format(Locale.ROOT, "%.1f %%", 100 * base.row().adherence()));
            }
            b.append(" ([baseline/summary.md](baseline/summary.md)). ");
            if (Double.isFinite(base.low())) {
                b.append(w.within(base) ? "The winner's " + figure.label() + " lies within the baseline's interval."
                        : w.value() < base.low() ? "The winner's " + figure.label() + " is below the baseline's interval."
                        : "The winner's " + figure.label() + " is above the baseline's interval.");
            }
            b.append("\n\n");
        }
        b.append("Use it: `stepwise generate --model ").append(model).append(" --sampler ").append(wc.sampler().name())
                .append(" --scheduler file:").append(out.resolve("schedule.json")).append(" --steps ")
                .append(winnerFile.steps()).append("`\n\n");
        b.append("| rank | sampler | schedule | steps | NFE | ").append(figure.label())
                .append(" | adherence | VRG objective before → after |\n|---|---|---|---|---|---|---|---|\n");
        for (Tuning.Ranked r : ranking) {
            Cell.Config c = r.row().config();
            String objective = "";
            FittedSchedules.VrgResult v = vrg.get(c.sampler().name());
            if (v != null && c.scheduler().label().equals("vrg " + c.sampler().name())) {
                Vrg.Fit f = v.fit();
                objective = String.format(Locale.ROOT, "%.4g → %.4g", f.before(), f.after());
            }
            b.append("| ").append(r.rank()).append(" | ").append(c.sampler().label()).append(" | ").append(c.scheduler().label())
                    .append(" | ").append(r.row().steps()).append(" | ").append(Cell.plain(r.row().nfe())).append(" | ")
                    .append(r.row().failed() > 0 ? "failed" : figureText(r)).append(" | ")
                    .append(Double.isFinite(r.row().adherence()) ? String.format(Locale.ROOT, "%.1f %%", 100 * r.row().adherence()) : "–")
                    .append(" | ").append(objective).append(" |\n");
        }
        b.append('\n');
        if (gits != null) {
            b.append("GITS fitted (shared by every sampler): levels ").append(java.util.Arrays.toString(gits.path().indices()))
                    .append(" of the teacher's ").append(gits.levels().length).append(", fitted in ")
                    .append(String.format(Locale.ROOT, "%.1f s", gits.seconds())).append(".\n");
        }
        if (!vrg.isEmpty()) {
            b.append("VRG fitted per sampler from ").append(from).append(", radius ").append(radiusText)
                    .append(", on the error curve ").append(curveFile()).append(".\n");
        }
        for (String n : notes) {
            b.append("- ").append(n).append('\n');
        }
        return b.toString();
    }

    private ObjectNode json(String modelName, Tuning.Figure figure, List<Tuning.Ranked> ranking, Tuning.Ranked base,
                            Map<String, FittedSchedules.VrgResult> vrg, List<String> notes) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("model", modelName);
        o.put("nfe", nfe);
        o.put("figure", figure.label());
        ArrayNode rows = o.putArray("ranking");
        for (Tuning.Ranked r : ranking) {
            rows.add(rowJson(r, vrg));
        }
        if (base != null) {
            o.set("baseline", rowJson(base, Map.of()));
            o.put("winner_within_baseline_interval", ranking.get(0).within(base));
        }
        ArrayNode tied = o.putArray("within_noise_of_winner");
        ranking.stream().skip(1).filter(r -> ranking.get(0).within(r)).forEach(r -> tied.add(r.rank()));
        notes.forEach(o.putArray("notes")::add);
        return o;
    }

    private static ObjectNode rowJson(Tuning.Ranked r, Map<String, FittedSchedules.VrgResult> vrg) {
        Cell.Config c = r.row().config();
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("rank", r.rank());
        o.put("sampler", c.sampler().label());
        o.put("schedule", c.scheduler().label());
        o.put("steps", r.row().steps());
        o.put("nfe", r.row().nfe());
        o.put("failed", r.row().failed());
        putNumber(o, "value", r.value());
        putNumber(o, "low", r.low());
        putNumber(o, "high", r.high());
        putNumber(o, "adherence", r.row().adherence());
        FittedSchedules.VrgResult v = vrg.get(c.sampler().name());
        if (v != null && c.scheduler().label().equals("vrg " + c.sampler().name())) {
            o.put("objective_before", v.fit().before());
            o.put("objective_after", v.fit().after());
        }
        return o;
    }

    private static void putNumber(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }

}
