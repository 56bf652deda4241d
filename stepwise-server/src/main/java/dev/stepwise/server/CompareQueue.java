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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingDeque;

/**
 * The compare runs' queue: a bounded number waiting, one running at a time, each with the harness's
 * {@link Comparison#run} into {@code DATA/compare/ID/} and then {@link CompareReport#write}. A run is stored
 * ({@link CompareStore}) before each change is reported. Its cells are written one by one, atomically, by the harness,
 * which skips the cells a folder already holds (the resume rule); so a run that a stopped server left queued or
 * running is queued again at start and resumes where it stopped, and a rerun of a finished run rebuilds its report
 * (with the human scores given since). Generate jobs have their own queue ({@link JobQueue}): a long comparison does not
 * hold up a client waiting for one image.
 */
final class CompareQueue implements AutoCloseable {
    /** Told of every change of a run and of every finished cell, from the queue's threads. */
    interface Listener {
        void changed(CompareRun run);

        void cell(String runId, CellResult cell, int done, int total);
    }

    /** Cells finished out of all, while a run runs. */
    record Progress(int done, int total) {
    }

    private final CompareStore store;
    private final ObjectMapper json;
    private final Path models;
    private final Limits limits;
    private final Path root;
    private final int capacity;
    private final LinkedBlockingDeque<String> waiting = new LinkedBlockingDeque<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, Progress> live = new ConcurrentHashMap<>();
    private final Thread worker;
    private volatile Thread runner;
    private volatile String runningId;
    private volatile boolean cancelRequested;
    private volatile boolean closed;

    /**
     * @param root the folder of the runs' report folders ({@code DATA/compare})
     */
    CompareQueue(CompareStore store, ObjectMapper json, Path models, Limits limits, Path root, int capacity) {
        this.store = store;
        this.json = json;
        this.models = models;
        this.limits = limits;
        this.root = root;
        this.capacity = capacity;
        for (CompareRun r : store.inState(Job.State.queued)) {
            store.update(r.with(Job.State.queued, r.done(), r.total(), null, "queued again at restart", null, null));
        }
        for (CompareRun r : store.inState(Job.State.running)) {
            store.update(r.with(Job.State.queued, r.done(), r.total(), null, "the server stopped while this run ran;"
                    + " resumed at restart (finished cells are kept)", null, null));
        }
        store.inState(Job.State.queued).forEach(r -> waiting.add(r.id()));
        worker = new Thread(this::work, "stepwise-compare-queue");
        worker.setDaemon(true);
        worker.start();
    }

    void onChange(Listener l) {
        listeners.add(l);
    }

    /** The report folder of a run. */
    Path folder(String id) {
        return root.resolve(id);
    }

    /** Queues a checked request; 429 when the queue is full, 503 while the server stops. */
    synchronized CompareRun submit(CompareSpec spec, String request) {
        checkRoom();
        CompareRun r = new CompareRun(UUID.randomUUID().toString(), spec.plan().name(), Job.State.queued, request, 0,
                spec.cells().size(), null, null, Instant.now(), null, null);
        store.insert(r);
        waiting.add(r.id());
        changed(r);
        return r;
    }

    private void checkRoom() {
        if (closed) {
            throw new ApiException(503, null, "the server is stopping; try again later");
        }
        if (waiting.size() >= capacity) {
            throw new ApiException(429, null, "the compare queue is full (" + capacity + " runs waiting); try again later");
        }
    }

    /**
     * Queues a finished run again into its folder: it runs the cells not done yet (a cancelled or failed run resumes)
     * and rebuilds the report (with the scores given since).
     */
    synchronized CompareRun rerun(CompareRun r) {
        if (!r.state().finished()) {
            throw new ApiException(409, "id", "compare run " + r.id() + " is " + r.state() + ": only a finished run can"
                    + " be rerun");
        }
        checkRoom();
        CompareRun q = r.with(Job.State.queued, r.done(), r.total(), null, "rerun into its folder (finished cells are"
                + " kept, the report is rebuilt)", null, null);
        store.update(q);
        waiting.add(q.id());
        changed(q);
        return q;
    }

    /** Cancels a waiting run (at once) or the running one (its cells in flight are dropped; finished ones are kept). */
    synchronized boolean cancel(String id) {
        if (waiting.remove(id)) {
            store.get(id).ifPresent(r -> {
                CompareRun c = r.with(Job.State.cancelled, r.done(), r.total(), "cancelled", r.note(), null, Instant.now());
                store.update(c);
                changed(c);
            });
            return true;
        }
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

    /** A running run's progress, or null. */
    Progress progress(String id) {
        return live.get(id);
    }

    List<String> waiting() {
        return new ArrayList<>(waiting);
    }

    private void work() {
        JobQueue.drain(waiting, () -> closed, id -> store.get(id).filter(r -> r.state() == Job.State.queued)
                .ifPresent(this::run));
    }

    private void run(CompareRun queued) {
        CompareRun run = queued.with(Job.State.running, queued.done(), queued.total(), null, queued.note(), Instant.now(),
                null);
        store.update(run);
        changed(run);
        // The comparison runs on a thread of its own, which a cancel interrupts; this thread, which writes the
        // database, is never interrupted (an interrupt closes the file channel H2 writes through).
        FutureTask<Void> task = new FutureTask<>(() -> {
            execute(run);
            return null;
        });
        Thread t = new Thread(task, "stepwise-compare-run");
        t.setDaemon(true);
        synchronized (this) {
            runningId = run.id();
            cancelRequested = false;
            runner = t;
        }
        t.start();
        CompareRun end;
        Progress p;
        try {
            task.get();
            p = live.getOrDefault(run.id(), new Progress(run.done(), run.total()));
            end = run.with(Job.State.done, p.done(), p.total(), null, run.note(), run.started(), Instant.now());
        } catch (ExecutionException e) {
            p = live.getOrDefault(run.id(), new Progress(run.done(), run.total()));
            Throwable c = e.getCause();
            if (interrupted(c) && closed) {
                end = run.with(Job.State.queued, p.done(), p.total(), null, "the server stopped while this run ran;"
                        + " it resumes at restart (finished cells are kept)", null, null);
            } else if (interrupted(c) && cancelRequested) {
                end = run.with(Job.State.cancelled, p.done(), p.total(), "cancelled while running (" + p.done() + " of "
                        + p.total() + " cells are kept; rerun to finish it)", run.note(), run.started(), Instant.now());
            } else {
                end = run.with(Job.State.failed, p.done(), p.total(), failure(c), run.note(), run.started(), Instant.now());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } finally {
            synchronized (this) {
                runner = null;
                runningId = null;
            }
            live.remove(run.id());
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

    private void execute(CompareRun run) throws IOException {
        CompareSpec spec = CompareSpec.read(json.readTree(run.request()), json, models, limits);
        Path dir = folder(run.id());
        try (ModelSource source = ModelSources.open(spec.plan(), models, OnnxOptions.defaults())) {
            List<CellResult> results = Comparison.run(spec.plan(), spec.cells(), source, dir, new Comparison.Listener() {
                @Override
                public void started(int total, int alreadyDone) {
                    live.put(run.id(), new Progress(alreadyDone, total));
                }

                @Override
                public void cellDone(CellResult r, int done, int total) {
                    live.put(run.id(), new Progress(done, total));
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

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = runner;
        }
        if (t != null) {
            t.interrupt();
        }
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
