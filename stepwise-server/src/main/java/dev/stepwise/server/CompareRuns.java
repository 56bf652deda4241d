package dev.stepwise.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.harness.CellResult;
import dev.stepwise.harness.CompareReport;
import dev.stepwise.harness.Comparison;
import dev.stepwise.harness.Limits;
import dev.stepwise.harness.ModelSource;
import dev.stepwise.harness.ModelSources;
import dev.stepwise.harness.PlanException;
import dev.stepwise.harness.ReportFolder;
import dev.stepwise.harness.ScoringSheet;
import dev.stepwise.onnx.OnnxOptions;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The compare runs: their store ({@link CompareStore}), their report folders {@code DATA/compare/ID/}, and how one
 * runs: the harness's {@link Comparison#run} into its folder, then {@link CompareReport#write}. They wait in the one
 * queue with the generate jobs ({@link JobQueue}), whose worker calls {@link #run}. A run is stored before each change
 * is reported. Its cells are written one by one, atomically, by the harness, which skips the cells a folder already
 * holds (the resume rule); so a run that a stopped server left queued or running is queued again at start and resumes
 * where it stopped, and a rerun of a finished run rebuilds its report (with the human scores given since).
 */
final class CompareRuns {
    /** Told of every change of a run and of every finished cell, from the queue's threads. */
    interface Listener {
        void changed(CompareRun run);

        default void cell(String runId, CellResult cell, int done, int total) {
        }
    }

    /** Told of a running run's cells: finished (those found in its folder included) out of all. */
    interface Progress {
        void cells(int done, int total);
    }

    private final CompareStore store;
    private final ObjectMapper json;
    private final Path models;
    private final Limits limits;
    private final Path root;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile Thread runner;
    private volatile String runningId;
    private volatile boolean cancelRequested;
    private volatile boolean stopping;

    /**
     * @param root the folder of the runs' report folders ({@code DATA/compare})
     */
    CompareRuns(CompareStore store, ObjectMapper json, Path models, Limits limits, Path root) {
        this.store = store;
        this.json = json;
        this.models = models;
        this.limits = limits;
        this.root = root;
    }

    /**
     * Settles what a stopped server left: queued runs are queued again, a running one resumes (its finished cells
     * are kept). Returns the runs to queue, oldest first.
     */
    List<CompareRun> settle() {
        for (CompareRun r : store.inState(Job.State.queued)) {
            store.update(r.with(Job.State.queued, r.done(), r.total(), null, "queued again at restart", null, null));
        }
        for (CompareRun r : store.inState(Job.State.running)) {
            store.update(r.with(Job.State.queued, r.done(), r.total(), null, "the server stopped while this run ran;"
                    + " resumed at restart (finished cells are kept)", null, null));
        }
        return store.inState(Job.State.queued);
    }

    void onChange(Listener l) {
        listeners.add(l);
    }

    /** The report folder of a run. */
    Path folder(String id) {
        return root.resolve(id);
    }

    /** Stores a new queued run of a checked request. */
    CompareRun create(CompareSpec spec, String request) {
        CompareRun r = new CompareRun(UUID.randomUUID().toString(), spec.plan().name(), Job.State.queued, request, 0,
                spec.cells().size(), null, null, Instant.now(), null, null);
        store.insert(r);
        changed(r);
        return r;
    }

    /** A 409 unless the run has finished: only a finished run can be queued again. */
    static void checkRerun(CompareRun r) {
        if (!r.state().finished()) {
            throw new ApiException(409, "id", "compare run " + r.id() + " is " + r.state() + ": only a finished run can"
                    + " be rerun");
        }
    }

    /**
     * Marks a finished run queued again into its folder: it runs the cells not done yet (a cancelled or failed run
     * resumes) and rebuilds the report (with the scores given since).
     */
    CompareRun requeue(CompareRun r) {
        CompareRun q = r.with(Job.State.queued, r.done(), r.total(), null, "rerun into its folder (finished cells are"
                + " kept, the report is rebuilt)", null, null);
        store.update(q);
        changed(q);
        return q;
    }

    /** Marks a run taken out of the queue before it ran cancelled. */
    void cancelled(String id) {
        store.get(id).ifPresent(r -> {
            CompareRun c = r.with(Job.State.cancelled, r.done(), r.total(), "cancelled", r.note(), null, Instant.now());
            store.update(c);
            changed(c);
        });
    }

    /** Cancels the running run {@code id} (its cells in flight are dropped; finished ones are kept). */
    synchronized boolean cancel(String id) {
        Thread t = runner;
        if (id.equals(runningId) && t != null) {
            cancelRequested = true;
            t.interrupt();
            return true;
        }
        return false;
    }

    Optional<CompareRun> get(String id) {
        return store.get(id);
    }

    List<CompareRun> latest(int n) {
        return store.latest(n);
    }

    /** Runs a queued run to its end (done, failed, cancelled, or queued again when the server stops), on this thread. */
    void run(CompareRun queued, Progress progress) {
        CompareRun run = queued.with(Job.State.running, queued.done(), queued.total(), null, queued.note(), Instant.now(),
                null);
        store.update(run);
        changed(run);
        int[] cells = {run.done(), run.total()};
        Progress tracked = (done, total) -> {
            cells[0] = done;
            cells[1] = total;
            progress.cells(done, total);
        };
        // The comparison runs on a thread of its own, which a cancel interrupts; this thread, which writes the
        // database, is never interrupted (an interrupt closes the file channel H2 writes through).
        FutureTask<Void> task = new FutureTask<>(() -> {
            execute(run, tracked);
            return null;
        });
        Thread t = new Thread(task, "stepwise-compare-run");
        t.setDaemon(true);
        boolean stop;
        synchronized (this) {
            runningId = run.id();
            cancelRequested = false;
            runner = t;
            stop = stopping;
        }
        t.start();
        if (stop) {
            t.interrupt();
        }
        CompareRun end;
        try {
            task.get();
            end = run.with(Job.State.done, cells[0], cells[1], null, run.note(), run.started(), Instant.now());
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (interrupted(c) && stopping) {
                end = run.with(Job.State.queued, cells[0], cells[1], null, "the server stopped while this run ran;"
                        + " it resumes at restart (finished cells are kept)", null, null);
            } else if (interrupted(c) && cancelRequested) {
                end = run.with(Job.State.cancelled, cells[0], cells[1], "cancelled while running (" + cells[0] + " of "
                        + cells[1] + " cells are kept; rerun to finish it)", run.note(), run.started(), Instant.now());
            } else {
                end = run.with(Job.State.failed, cells[0], cells[1], failure(c), run.note(), run.started(), Instant.now());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } finally {
            synchronized (this) {
                runner = null;
                runningId = null;
            }
        }
        store.update(end);
        changed(end);
    }

    /** The run's thread was interrupted: in a model call (the harness's InterruptedIOException) or writing a file. */
    private static boolean interrupted(Throwable c) {
        return c instanceof InterruptedIOException || c instanceof java.nio.channels.ClosedByInterruptException;
    }

    private String failure(Throwable c) {
        if (c instanceof ApiException || c instanceof PlanException) {
            return CompareSpec.hideFolder(c.getMessage(), models);
        }
        if (c instanceof ReportFolder.MismatchException m) {
            return "the run's folder holds " + m.difference();
        }
        String m = c.getMessage() == null ? "" : ": " + CompareSpec.hideFolder(c.getMessage().lines().findFirst().orElse(""), models);
        return "internal error: " + c.getClass().getSimpleName() + m;
    }

    private void execute(CompareRun run, Progress progress) throws IOException {
        CompareSpec spec = CompareSpec.read(json.readTree(run.request()), json, models, limits);
        Path dir = folder(run.id());
        try (ModelSource source = ModelSources.open(spec.plan(), models, OnnxOptions.defaults())) {
            List<CellResult> results = Comparison.run(spec.plan(), spec.cells(), source, dir, new Comparison.Listener() {
                @Override
                public void started(int total, int alreadyDone) {
                    progress.cells(alreadyDone, total);
                }

                @Override
                public void cellDone(CellResult r, int done, int total) {
                    progress.cells(done, total);
                    for (Listener l : listeners) {
                        try {
                            l.cell(run.id(), r, done, total);
                        } catch (RuntimeException e) {
                            // a listener (a closed event stream) must not stop the run
                        }
                    }
                }
            });
            CompareReport.write(spec.plan(), spec.cells(), results, source, spec.checklist(),
                    dir.resolve(ScoringSheet.SCORES), dir);
        }
    }

    private void changed(CompareRun r) {
        for (Listener l : listeners) {
            try {
                l.changed(r);
            } catch (RuntimeException e) {
                // a listener (a closed event stream) must not stop the queue
            }
        }
    }

    /** The server stops: the running run, if any, is interrupted and stays queued, to resume at the next start. */
    void stop() {
        Thread t;
        synchronized (this) {
            stopping = true;
            t = runner;
        }
        if (t != null) {
            t.interrupt();
        }
    }
}
