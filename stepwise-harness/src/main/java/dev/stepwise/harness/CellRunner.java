package dev.stepwise.harness;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.image.Filter;
import dev.stepwise.onnx.image.Infotext;
import dev.stepwise.onnx.image.PngWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.stream.Collectors;

/**
 * Computes one cell of a plan on a model: samples it, measures it and writes its files. This is the one call
 * every engine makes for a cell (the local engine's worker threads, the Spark engine's tasks), so a cell's bytes
 * depend on the cell alone, never on where it ran. Thread-safe: workers share one runner, each with its own model
 * and timer.
 */
public final class CellRunner {
    private final Plan plan;
    private final ModelSource source;
    private final List<Conditioning> positives = new ArrayList<>();
    private final List<Conditioning> negatives = new ArrayList<>();
    private final CellMetrics metrics;
    private final References references;

    /**
     * @param cells         the cells it will run (checked against the plan's prompts)
     * @param referencesDir the report's references folder (where the reference solves are cached)
     * @throws PlanException for a setting that cannot run (batch, parallel, a prompt, the reference solve)
     */
    public CellRunner(Plan plan, List<Cell> cells, ModelSource source, Path referencesDir) {
        this.plan = plan;
        this.source = source;
        String where = plan.source();
        if (plan.batch() < 1) {
            throw new PlanException(where + ": batch " + plan.batch() + " must be at least 1");
        }
        if (plan.parallel() < 0) {
            throw new PlanException(where + ": parallel " + plan.parallel() + " must be 0 (one worker per core) or more");
        }
        checkReference(plan.reference(), where);
        for (int i = 0; i < plan.prompts().size(); i++) {
            Plan.PromptSpec p = plan.prompts().get(i);
            positives.add(source.parse(p.prompt(), where + ": prompts[" + i + "].prompt"));
            negatives.add(source.parse(p.negative(), where + ": prompts[" + i + "].negative"));
        }
        for (Cell c : cells) {
            if (c.prompt() < 0 || c.prompt() >= plan.prompts().size()) {
                throw new PlanException(where + ": cell " + c.config().label() + " names prompt " + c.prompt()
                        + " but the plan has prompts 0.." + (plan.prompts().size() - 1));
            }
        }
        metrics = new CellMetrics(source, positives);
        references = plan.reference() == null ? null
                : new References(referencesDir, source, plan.reference(), plan.batch());
    }

    /** The reference solves, or null when the plan has none. */
    public References references() {
        return references;
    }

    private static void checkReference(Plan.ReferenceSpec ref, String where) {
        if (ref == null) {
            return;
        }
        SamplerInfo info;
        try {
            info = Samplers.get(ref.sampler());
            Schedulers.get(ref.scheduler());
        } catch (IllegalArgumentException e) {
            throw new PlanException(where + ": reference: " + e.getMessage());
        }
        if (info.stochastic()) {
            throw new PlanException(where + ": reference sampler '" + ref.sampler()
                    + "' is stochastic; a converged reference needs a deterministic solver (e.g. heun)");
        }
        if (ref.steps() < 2) {
            throw new PlanException(where + ": reference steps " + ref.steps()
                    + " must be at least 2 (the reference is checked against a solve at half the steps)");
        }
    }

    /**
     * Runs, measures and writes one cell; the reference (solved here when first needed) is not timed. The
     * cell's files go to {@code sink} in order: samples, image (image models), then the record, which marks the
     * cell done. A sampler that fails (a RuntimeException) gives a failed cell, whose record alone is written;
     * an interrupt (CancellationException) and anything else is thrown, and the cell has no record.
     *
     * @param id    the cell's id ({@link Comparison#ids})
     * @param model this worker's model, made by {@code source.model(timer)}
     * @param timer this worker's timer, which the model reports its calls to
     * @return the cell's record, as written
     */
    public CellResult run(Cell cell, String id, Model model, CallTimer timer, Sink sink) throws IOException {
        Plan.PromptSpec prompt = plan.prompts().get(cell.prompt());
        Cell.Config k = cell.config();
        Tensor reference = references == null ? null : references.get(model, prompt, k.cfg(), cell.seed());
        timer.reset();
        long t0 = System.nanoTime();
        SampleResult result;
        try {
            SampleRequest.Builder request = SampleRequest.builder(model)
                    .sampler(k.sampler().name()).samplerParameters(k.sampler().parameters());
            result = Stepwise.sample(ScheduleNames.of(k.scheduler()).apply(request, k.scheduler().parameters())
                    .steps(cell.steps()).cfg(k.cfg())
                    .prompt(positives.get(cell.prompt())).negative(negatives.get(cell.prompt()))
                    .seed(cell.seed()).batch(plan.batch()).build());
        } catch (CancellationException e) {
            throw e; // interrupted (the samplers check between model calls): the cell is not done
        } catch (RuntimeException e) {
            // The calls a failed run made are unknown to the sampler's counter; the timer saw the network's.
            double seconds = (System.nanoTime() - t0) / 1e9;
            CellResult failed = new CellResult(id, cell, 0, timer.calls(), 0, seconds, timer.seconds(), seconds,
                    Map.of(), null, "", "", Comparison.oneLine(e));
            sink.write(CellStore.recordPath(id), CellStore.record(failed));
            return failed;
        }
        double seconds = result.elapsed().toNanos() / 1e9;
        double networkSeconds = timer.seconds();
        Tensor samples = result.samples();
        CellMetrics.Figures figures = metrics.measure(cell.prompt(), samples, reference);
        byte[] png = switch (source) {
            case ImageSource image -> PngWriter.encode(PngWriter.image(samples, 0, Comparison.IMAGE_SCALE, Filter.NEAREST),
                    infotext(cell, prompt, image).format());
            case SdSource sd -> sd.png(cell, prompt, plan.batch(), result);
            case MixtureSource mixture -> null;
        };
        sink.write(CellStore.samplesPath(id), Npy.encode(samples));
        if (png != null) {
            sink.write(CellStore.imagePath(id), png);
        }
        CellResult r = new CellResult(id, cell, result.calls().nfe(), result.calls().networkCalls(), result.steps(),
                seconds, networkSeconds, (System.nanoTime() - t0) / 1e9, figures.metrics(), figures.features(),
                png == null ? "" : CellStore.imagePath(id), CellStore.samplesPath(id), "");
        sink.write(CellStore.recordPath(id), CellStore.record(r));
        return r;
    }

    /**
     * Where a cell's files go: a local report folder ({@link CellStore}), a Hadoop file system. Each write must
     * be atomic (a whole file or none under the path), so that a crash or a duplicate task never leaves a torn one.
     */
    @FunctionalInterface
    public interface Sink {
        /** @param path relative to the report folder, '/'-separated */
        void write(String path, byte[] bytes) throws IOException;
    }

    private Infotext infotext(Cell cell, Plan.PromptSpec prompt, ImageSource image) {
        int[] shape = image.sampleShape();
        Cell.Config k = cell.config();
        Infotext t = new Infotext(prompt.prompt(), prompt.negative(), cell.steps(), k.sampler().name(),
                k.scheduler().name(), k.cfg(), cell.seed(), shape[shape.length - 1], shape[shape.length - 2],
                image.name());
        if (!k.sampler().parameters().isEmpty()) {
            t = t.with("Sampler parameters", parameters(k.sampler().parameters()));
        }
        if (!k.scheduler().parameters().isEmpty()) {
            t = t.with("Scheduler parameters", parameters(k.scheduler().parameters()));
        }
        return t;
    }

    private static String parameters(Map<String, Object> p) {
        return new TreeMap<>(p).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(" "));
    }
}
