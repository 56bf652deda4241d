package dev.stepwise.harness;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.image.Filter;
import dev.stepwise.onnx.image.Infotext;
import dev.stepwise.onnx.image.PngWriter;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Runs a plan's cells on a model: in parallel, resumably, measuring each. A cell's result depends on the cell
 * alone (its seed decides all noise), so results are bit-identical whatever the parallelism and order. Cells
 * already done in the report folder (their JSON is there) are read back, not run again, so a rerun of an
 * interrupted plan finishes it; each cell's files are written atomically when it is done, so Ctrl-C or a crash
 * loses at most the cells in flight. A folder that holds another plan's or model's report is refused (or, asked
 * to, replaced): see {@link ReportFolder}.
 */
public final class Comparison {
    /** Image scale of the cells' PNGs (28 x 28 becomes 112 x 112). */
    public static final int IMAGE_SCALE = 4;
    /** How long an interrupted run waits for its workers to stop: about one model call of a large model. */
    private static final long WORKER_STOP_NANOS = TimeUnit.SECONDS.toNanos(5);

    private Comparison() {
    }

    /**
     * Progress of a run. Calls are serialized (never two at once), from the workers' threads, and stop when the
     * run fails or is interrupted.
     */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        /**
         * Before any cell runs.
         *
         * @param total       cells of the plan
         * @param alreadyDone cells found finished in the report folder (not run again)
         */
        default void started(int total, int alreadyDone) {
        }

        /**
         * Before {@link #started}, when the run replaces the folder's report of another plan or model.
         *
         * @param difference what the folder held, as {@link ReportFolder.MismatchException#difference()}
         * @param removed    its cells that were removed (those the run shares with it are kept)
         */
        default void replaced(String difference, int removed) {
        }

        /**
         * After a cell's files are written.
         *
         * @param done  cells finished, those found already done included
         * @param total cells of the plan
         */
        default void cellDone(CellResult r, int done, int total) {
        }
    }

    /**
     * Runs the cells that are not done yet and returns the results of all of them, in cell order.
     *
     * <p>A sampler that fails inside a cell (a RuntimeException) is recorded in that cell's
     * {@link CellResult#error()} and the other cells go on. Anything else (an IOException writing files, a
     * listener that throws, a failing classifier or reference solve) stops the run: cells in flight finish
     * and are written, no new cell starts, and the failure is thrown. An interrupt of the calling thread
     * interrupts the workers, whose samplers stop at their next model call (those cells are not written), and
     * throws {@link InterruptedIOException} once they have stopped (or after a few seconds), so that the cells
     * written by then are all the run leaves.
     *
     * @param cells     the plan's cells (as {@code Cells.expand} makes them), each distinct
     * @param reportDir the report folder (created when missing)
     * @throws PlanException for a setting that cannot run (batch, parallel, a prompt, the reference solve,
     *                       a repeated cell), before anything is written
     * @throws ReportFolder.MismatchException when the folder holds another plan's or model's report, before
     *                       anything is written
     */
    public static List<CellResult> run(Plan plan, List<Cell> cells, ModelSource source, Path reportDir, Listener listener)
            throws IOException {
        return run(plan, cells, source, reportDir, listener, false);
    }

    /**
     * As {@link #run(Plan, List, ModelSource, Path, Listener)}; with {@code replace}, a folder holding another
     * plan's or model's report is taken over instead of refused: its cells (and references) that this run does
     * not have are removed with the report's generated files, those it shares (same ids: same result) are
     * kept, and the new plan is recorded before any cell runs, so an interrupted replacement resumes as the new
     * plan. The folder never mixes two reports.
     */
    public static List<CellResult> run(Plan plan, List<Cell> cells, ModelSource source, Path reportDir, Listener listener,
                                       boolean replace) throws IOException {
        Run r = new Run(plan, List.copyOf(cells), source, listener == null ? Listener.NONE : listener);
        return r.execute(reportDir, replace);
    }

    /** The cells' ids on this model, in cell order: their files' names in the report folder. */
    public static List<String> ids(Plan plan, List<Cell> cells, ModelSource source) {
        return cells.stream().map(c -> c.id(source.key(), plan.batch(), plan.reference())).toList();
    }

    /** The state of one run, shared by its workers. */
    private static final class Run {
        private final Plan plan;
        private final List<Cell> cells;
        private final ModelSource source;
        private final Listener listener;
        private final List<Conditioning> positives = new ArrayList<>();
        private final List<Conditioning> negatives = new ArrayList<>();
        private final CellMetrics metrics;
        private final Object listenerLock = new Object();
        private int done;
        private CellStore store;
        private References references;

        Run(Plan plan, List<Cell> cells, ModelSource source, Listener listener) {
            this.plan = plan;
            this.cells = cells;
            this.source = source;
            this.listener = listener;
            String where = plan.source();
            if (plan.batch() < 1) {
                throw new PlanException(where + ": batch " + plan.batch() + " must be at least 1");
            }
            if (plan.parallel() < 0) {
                throw new PlanException(where + ": parallel " + plan.parallel()
                        + " must be 0 (one worker per core) or more");
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

        List<CellResult> execute(Path reportDir, boolean replace) throws IOException {
            String[] ids = ids(plan, cells, source).toArray(String[]::new);
            Map<String, Integer> first = new HashMap<>();
            for (int i = 0; i < ids.length; i++) {
                Integer prior = first.putIfAbsent(ids[i], i);
                if (prior != null) {
                    throw new PlanException(plan.source() + ": cells " + prior + " and " + i + " are the same cell ("
                            + cells.get(i).config().label() + ", prompt " + cells.get(i).prompt() + ", seed "
                            + cells.get(i).seed() + "); a plan lists each value of an axis once");
                }
            }
            Optional<String> difference = ReportFolder.difference(reportDir, plan, source.key());
            if (difference.isPresent() && !replace) {
                throw new ReportFolder.MismatchException(reportDir, difference.get());
            }
            store = CellStore.open(reportDir);
            if (plan.reference() != null) {
                references = new References(store.referencesDir(), source, plan.reference(), plan.batch());
            }
            if (difference.isPresent()) {
                int removed = ReportFolder.prune(reportDir, Set.of(ids),
                        references == null ? Set.of() : references.keys(plan));
                listener.replaced(difference.get(), removed);
            }
            store.writePlan(plan, source.key());
            CellResult[] results = new CellResult[cells.size()];
            List<Integer> todo = new ArrayList<>();
            for (int i = 0; i < ids.length; i++) {
                results[i] = store.read(ids[i]).orElse(null);
                if (results[i] == null) {
                    todo.add(i);
                }
            }
            done = cells.size() - todo.size();
            listener.started(cells.size(), done);
            if (!todo.isEmpty()) {
                runAll(todo, ids, results);
            }
            return List.of(results);
        }

        private void runAll(List<Integer> todo, String[] ids, CellResult[] results) throws IOException {
            int workers = plan.parallel() == 0 ? Runtime.getRuntime().availableProcessors() : plan.parallel();
            workers = Math.min(workers, todo.size());
            AtomicInteger next = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicInteger threadNumber = new AtomicInteger();
            // Daemon workers: an interrupted run returns at once and never keeps the JVM alive.
            ExecutorService pool = Executors.newFixedThreadPool(workers, task -> {
                Thread t = new Thread(task, "stepwise-cell-" + threadNumber.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            List<Future<?>> futures = new ArrayList<>();
            // The caller's interrupt counts from the moment it is made, not from when the caller's wait notices
            // it: a worker finishing a cell in between must neither report it nor start another.
            Thread caller = Thread.currentThread();
            try {
                for (int w = 0; w < workers; w++) {
                    futures.add(pool.submit(() -> {
                        try {
                            CallTimer timer = new CallTimer();
                            Model model = source.model(timer);
                            while (!stop.get() && !caller.isInterrupted() && !Thread.currentThread().isInterrupted()) {
                                int k = next.getAndIncrement();
                                if (k >= todo.size()) {
                                    break;
                                }
                                int i = todo.get(k);
                                CellResult r = runCell(cells.get(i), ids[i], model, timer);
                                results[i] = r;
                                synchronized (listenerLock) {
                                    done++;
                                    // Once the run has failed or been interrupted the caller hears no more.
                                    if (!stop.get() && !caller.isInterrupted()) {
                                        listener.cellDone(r, done, cells.size());
                                    }
                                }
                            }
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                            stop.set(true);
                        }
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
                if (Thread.interrupted()) {
                    // Interrupted after the workers had already stopped on it: get() of a finished task
                    // does not look at the flag, so the run ends here as any interrupted run does.
                    throw new InterruptedException();
                }
            } catch (InterruptedException e) {
                stop.set(true);
                pool.shutdownNow();
                awaitWorkers(pool);
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("comparison interrupted: " + countDone(results) + " of "
                        + cells.size() + " cells are done; rerun the plan to finish it");
            } catch (ExecutionException e) {
                failure.compareAndSet(null, e.getCause()); // the task catches everything; kept for completeness
            } finally {
                pool.shutdown();
            }
            Throwable t = failure.get();
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error err) {
                throw err;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }

        /**
         * Waits a little for interrupted workers to stop (at their next model call; a cell being written is
         * written whole or not at all), so that the cells on disk are final when the run returns and the caller
         * does not close the model under a worker. One stuck longer in a model call is left behind (a daemon
         * thread; its cell is not written).
         */
        private static void awaitWorkers(ExecutorService pool) {
            long deadline = System.nanoTime() + WORKER_STOP_NANOS;
            boolean interrupted = false;
            while (!pool.isTerminated() && System.nanoTime() < deadline) {
                try {
                    pool.awaitTermination(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException again) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private static int countDone(CellResult[] results) {
            int n = 0;
            for (CellResult r : results) {
                if (r != null) {
                    n++;
                }
            }
            return n;
        }

        /** Runs, measures and writes one cell. The reference (solved here when first needed) is not timed. */
        private CellResult runCell(Cell cell, String id, Model model, CallTimer timer) throws IOException {
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
                        Map.of(), null, "", "", oneLine(e));
                store.writeResult(failed);
                return failed;
            }
            double seconds = result.elapsed().toNanos() / 1e9;
            double networkSeconds = timer.seconds();
            Tensor samples = result.samples();
            CellMetrics.Figures figures = metrics.measure(cell.prompt(), samples, reference);
            byte[] png = null;
            if (source instanceof ImageSource image) {
                png = PngWriter.encode(PngWriter.image(samples, 0, IMAGE_SCALE, Filter.NEAREST),
                        infotext(cell, prompt, image).format());
            }
            store.writeFiles(id, samples, png);
            CellResult r = new CellResult(id, cell, result.calls().nfe(), result.calls().networkCalls(), result.steps(),
                    seconds, networkSeconds, (System.nanoTime() - t0) / 1e9, figures.metrics(), figures.features(),
                    png == null ? "" : CellStore.imagePath(id), CellStore.samplesPath(id), "");
            store.writeResult(r);
            return r;
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

    /** An exception as one line: its message's first line, or its type when it has no message. */
    static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return Arrays.stream(m.strip().split("\\R")).findFirst().orElse(m).strip();
    }
}
