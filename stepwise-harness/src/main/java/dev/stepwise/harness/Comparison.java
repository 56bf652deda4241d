package dev.stepwise.harness;

import dev.stepwise.core.model.Model;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

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

    /**
     * The first half of a run, which every engine does the same way: checks what only the model can check (the
     * prompts, the reference solve, repeated cells), refuses (or with {@code replace} takes over) a folder holding
     * another plan's or model's report, records the plan, finds the cells already done (the resume rule) and tells
     * the listener {@link Listener#started}. The engine then runs {@link Pending#todo()} through
     * {@link Pending#runner()} into {@link Pending#store()}, and {@link Pending#collect()} reads back the results.
     *
     * @throws PlanException as {@link #run(Plan, List, ModelSource, Path, Listener, boolean)}, before anything is written
     * @throws ReportFolder.MismatchException as there, before anything is written
     */
    public static Pending prepare(Plan plan, List<Cell> cells, ModelSource source, Path reportDir, Listener listener,
                                  boolean replace) throws IOException {
        cells = List.copyOf(cells);
        listener = listener == null ? Listener.NONE : listener;
        // Checked before anything is written: a plan refused here leaves no folder behind.
        CellRunner runner = new CellRunner(plan, cells, source, reportDir.resolve(CellStore.REFERENCES));
        List<String> ids = ids(plan, cells, source);
        Map<String, Integer> first = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            Integer prior = first.putIfAbsent(ids.get(i), i);
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
        CellStore store = CellStore.open(reportDir);
        References references = runner.references();
        if (difference.isPresent()) {
            int removed = ReportFolder.prune(reportDir, Set.copyOf(ids),
                    references == null ? Set.of() : references.keys(plan));
            listener.replaced(difference.get(), removed);
        }
        store.writePlan(plan, source.key());
        CellResult[] results = new CellResult[cells.size()];
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            results[i] = store.read(ids.get(i)).orElse(null);
            if (results[i] == null) {
                todo.add(i);
            }
        }
        listener.started(cells.size(), cells.size() - todo.size());
        return new Pending(ids, List.copyOf(todo), results, store, runner);
    }

    /**
     * A prepared run: the cells' ids (in cell order), the indices of those not done yet, and where and how to
     * run them.
     */
    public static final class Pending {
        private final List<String> ids;
        private final List<Integer> todo;
        private final CellResult[] results;
        private final CellStore store;
        private final CellRunner runner;

        private Pending(List<String> ids, List<Integer> todo, CellResult[] results, CellStore store, CellRunner runner) {
            this.ids = ids;
            this.todo = todo;
            this.results = results;
            this.store = store;
            this.runner = runner;
        }

        public List<String> ids() {
            return ids;
        }

        /** Indices into the cells of those the folder does not hold yet, in cell order. */
        public List<Integer> todo() {
            return todo;
        }

        public CellStore store() {
            return store;
        }

        public CellRunner runner() {
            return runner;
        }

        /**
         * Every cell's result, in cell order, reading back from the folder the records of the cells run since
         * {@link #prepare}.
         *
         * @throws IOException naming a cell whose record is not in the folder
         */
        public List<CellResult> collect() throws IOException {
            CellResult[] out = results.clone();
            for (int i : todo) {
                out[i] = store.read(ids.get(i)).orElseThrow(() -> new IOException("cell " + ids.get(i)
                        + " has no record in " + store.dir() + " after the run"));
            }
            return List.of(out);
        }
    }

    /** The state of one run, shared by its workers. */
    private static final class Run {
        private final Plan plan;
        private final List<Cell> cells;
        private final ModelSource source;
        private final Listener listener;
        private final Object listenerLock = new Object();
        private int done;
        private CellStore store;
        private CellRunner runner;

        Run(Plan plan, List<Cell> cells, ModelSource source, Listener listener) {
            this.plan = plan;
            this.cells = cells;
            this.source = source;
            this.listener = listener;
        }

        List<CellResult> execute(Path reportDir, boolean replace) throws IOException {
            Pending p = prepare(plan, cells, source, reportDir, listener, replace);
            store = p.store;
            runner = p.runner;
            done = cells.size() - p.todo.size();
            if (!p.todo.isEmpty()) {
                runAll(p.todo, p.ids.toArray(String[]::new), p.results);
            }
            return List.of(p.results);
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
                                CellResult r = runner.run(cells.get(i), ids[i], model, timer, store::write);
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
    }

    /** An exception as one line: its message's first line, or its type when it has no message. */
    public static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return Arrays.stream(m.strip().split("\\R")).findFirst().orElse(m).strip();
    }
}
