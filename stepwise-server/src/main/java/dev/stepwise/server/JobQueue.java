package dev.stepwise.server;

import dev.stepwise.onnx.image.Filter;
import dev.stepwise.onnx.image.PngWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one queue every generate job, from any API, and every compare run goes through: one order, a bounded number
 * waiting, one entry running at a time on one worker thread, progress, cancel. Each change is stored ({@link JobStore},
 * {@link CompareStore}) before it is reported. At start the stores' leftovers of a stopped server are settled
 * explicitly: a job that was running is failed (its images were never marked done), a compare run that was running
 * resumes (its finished cells are kept), queued ones are queued again, in the order they were submitted.
 */
final class JobQueue implements AutoCloseable {
    /** What an entry of the queue is: a generate job ({@link Job}) or a compare run ({@link CompareRun}). */
    enum Kind {
        generate, compare
    }

    /** One entry of the queue. */
    record Entry(String id, Kind kind) {
    }

    /**
     * The running entry's progress: a generate job's steps done out of all its steps (every iteration), a compare
     * run's cells done out of all.
     */
    record Progress(String id, Kind kind, int done, int total, Instant started) {
    }

    /**
     * The live preview of the running job: the first image's x0 estimate after step {@code step} (the denoised
     * prediction the sampler computes anyway; on these pixel-space models it needs no decoder), as a PNG.
     */
    record Preview(String id, int step, byte[] png) {
    }

    /** How often the preview is redrawn: often enough for a progress bar, rarely enough to cost nothing. */
    private static final long PREVIEW_NANOS = 100_000_000L;

    private final JobStore store;
    private final Generator generator;
    private final CompareRuns compares;
    private final int capacity;
    private final LinkedBlockingDeque<Entry> waiting = new LinkedBlockingDeque<>();
    private final Map<String, CompletableFuture<Job>> futures = new ConcurrentHashMap<>();
    private final List<Consumer<Job>> listeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Progress>> progressListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Preview>> previewListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<JobQueue>> queueListeners = new CopyOnWriteArrayList<>();
    private final Thread worker;
    private volatile Progress progress;
    private volatile Preview preview;
    private volatile String cancelRequested;
    private volatile boolean closed;

    JobQueue(JobStore store, Generator generator, CompareRuns compares, int capacity) {
        this.store = store;
        this.generator = generator;
        this.compares = compares;
        this.capacity = capacity;
        Instant now = Instant.now();
        for (Job j : store.inState(Job.State.running)) {
            store.update(j.with(Job.State.failed, List.of(), List.of(), "the server stopped while this job ran; submit it"
                    + " again", "failed at restart", j.started(), now));
        }
        List<Job> jobs = store.inState(Job.State.queued);
        for (Job j : jobs) {
            store.update(j.with(Job.State.queued, List.of(), List.of(), null, "queued again at restart", null, null));
        }
        // Back in the order of submission: everything waiting was submitted after the entry that ran (a rerun
        // compare run keeps the time it was first submitted, and so goes back a little earlier).
        record Left(Instant created, Entry entry) {
        }
        List<Left> left = new ArrayList<>();
        jobs.forEach(j -> left.add(new Left(j.created(), new Entry(j.id(), Kind.generate))));
        compares.settle().forEach(r -> left.add(new Left(r.created(), new Entry(r.id(), Kind.compare))));
        left.sort(java.util.Comparator.comparing(Left::created));
        left.forEach(l -> waiting.add(l.entry()));
        compares.onChange(r -> queueChanged());
        worker = new Thread(this::work, "stepwise-queue");
        worker.setDaemon(true);
        worker.start();
    }

    int capacity() {
        return capacity;
    }

    /** Told of every change of state of a job (queued, running, done, failed, cancelled). */
    void onChange(Consumer<Job> l) {
        listeners.add(l);
    }

    /** Told after every step of the running job. */
    void onProgress(Consumer<Progress> l) {
        progressListeners.add(l);
    }

    /** Told of every new preview of the running job. */
    void onPreview(Consumer<Preview> l) {
        previewListeners.add(l);
    }

    /** Told after every change of the queue's entries, of either kind (after the job's or run's own listeners). */
    void onQueueChange(Runnable l) {
        queueListeners.add(q -> l.run());
    }

    /** A 503 while the server stops, a 429 when the queue is full. */
    private void checkRoom() {
        if (closed) {
            throw new ApiException(503, null, "the server is stopping; try again later");
        }
        if (waiting.size() >= capacity) {
            throw new ApiException(429, null, "the queue is full (" + capacity + " jobs and compare runs waiting); try"
                    + " again later");
        }
    }

    /**
     * Queues a job; the spec was checked by the caller.
     *
     * @throws ApiException 429 when the queue is full, 503 when the server is stopping
     */
    synchronized Job submit(String api, GenerateSpec spec, String request) {
        checkRoom();
        Job j = new Job(UUID.randomUUID().toString(), api, Job.State.queued, spec, request, List.of(), List.of(), null,
                null, Instant.now(), null, null);
        store.insert(j);
        futures.put(j.id(), new CompletableFuture<>());
        waiting.add(new Entry(j.id(), Kind.generate));
        changed(j);
        return j;
    }

    /** Queues a compare run of a checked request; 429 when the queue is full, 503 while the server stops. */
    synchronized CompareRun submit(CompareSpec spec, String request) {
        checkRoom();
        CompareRun r = compares.create(spec, request);
        waiting.add(new Entry(r.id(), Kind.compare));
        return r;
    }

    /** Queues a finished compare run again into its folder ({@link CompareRuns#requeue}). */
    synchronized CompareRun rerun(CompareRun r) {
        CompareRuns.checkRerun(r);
        checkRoom();
        CompareRun q = compares.requeue(r);
        waiting.add(new Entry(q.id(), Kind.compare));
        return q;
    }

    /** Completes when the job has finished (done, failed or cancelled). */
    CompletableFuture<Job> completion(String id) {
        CompletableFuture<Job> f = futures.computeIfAbsent(id, k -> new CompletableFuture<>());
        get(id).filter(j -> j.state().finished()).ifPresent(f::complete);
        return f;
    }

    Optional<Job> get(String id) {
        return store.get(id);
    }

    List<Job> latest(int n) {
        return store.latest(n);
    }

    /** The waiting entries, next first. */
    List<Entry> waiting() {
        return new ArrayList<>(waiting);
    }

    /** How many entries wait before {@code id} (0: it runs next), or -1 when it is not waiting. */
    int position(String id) {
        int i = 0;
        for (Entry e : waiting) {
            if (e.id().equals(id)) {
                return i;
            }
            i++;
        }
        return -1;
    }

    /** The running job's latest preview, or null (none runs, or no step has finished yet). */
    Preview preview() {
        Preview p = preview;
        Progress running = progress;
        return p != null && running != null && p.id().equals(running.id()) ? p : null;
    }

    /** The running entry's progress, or null when none runs. */
    Progress progress() {
        return progress;
    }

    /**
     * Cancels a waiting entry (at once) or the running one: a job after its current step, a compare run at once (its
     * cells in flight are dropped, finished ones kept).
     *
     * @return whether the entry was waiting or running
     */
    synchronized boolean cancel(String id) {
        Entry waited = waiting.stream().filter(e -> e.id().equals(id)).findFirst().orElse(null);
        if (waited != null && waiting.remove(waited)) {
            if (waited.kind() == Kind.compare) {
                compares.cancelled(id);
            } else {
                store.get(id).ifPresent(j -> finish(j.with(Job.State.cancelled, List.of(), List.of(), "cancelled", j.note(),
                        null, Instant.now())));
            }
            return true;
        }
        Progress p = progress;
        if (p != null && p.id().equals(id)) {
            if (p.kind() == Kind.compare) {
                return compares.cancel(id);
            }
            cancelRequested = id;
            return true;
        }
        return false;
    }

    /**
     * Cancels the running generate job, if any (A1111's and ComfyUI's interrupt, which their clients send to stop
     * their own image); a running compare run is cancelled only by its own cancel, its clients know nothing of it.
     */
    boolean interrupt() {
        Progress p = progress;
        return p != null && p.kind() == Kind.generate && cancel(p.id());
    }

    /** The worker loop: each entry in order, until the queue closes; the poll's timeout lets a close end it. */
    private void work() {
        while (!closed) {
            Entry e;
            try {
                e = waiting.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException x) {
                return;
            }
            if (e == null) {
                continue;
            }
            if (e.kind() == Kind.generate) {
                store.get(e.id()).filter(j -> j.state() == Job.State.queued).ifPresent(this::run);
            } else {
                compares.get(e.id()).filter(r -> r.state() == Job.State.queued).ifPresent(this::run);
            }
        }
    }

    private void run(CompareRun queued) {
        Instant started = Instant.now();
        progress = new Progress(queued.id(), Kind.compare, queued.done(), queued.total(), started);
        try {
            compares.run(queued, (done, total) -> progress = new Progress(queued.id(), Kind.compare, done, total, started));
        } finally {
            progress = null;
        }
    }

    private void run(Job queued) {
        Instant started = Instant.now();
        Job job = queued.with(Job.State.running, List.of(), List.of(), null, queued.note(), started, null);
        store.update(job);
        progress = new Progress(job.id(), Kind.generate, 0, 0, started);
        changed(job);
        Job end;
        try {
            long[] lastPreview = {System.nanoTime() - PREVIEW_NANOS};
            Generator.Result r = generator.run(job.id(), job.spec(), (done, total, denoised) -> {
                if (job.id().equals(cancelRequested)) {
                    throw new CancellationException("cancelled");
                }
                long now = System.nanoTime();
                if (now - lastPreview[0] >= PREVIEW_NANOS) {
                    lastPreview[0] = now;
                    Preview shown = new Preview(job.id(), done, previewPng(denoised.get()));
                    preview = shown;
                    tell(previewListeners, shown);
                }
                Progress p = new Progress(job.id(), Kind.generate, done, total, started);
                progress = p;
                tell(progressListeners, p);
            });
            end = job.with(Job.State.done, r.images(), r.infotexts(), null, job.note(), started, Instant.now());
        } catch (CancellationException e) {
            end = job.with(Job.State.cancelled, List.of(), List.of(), "cancelled while running", job.note(), started,
                    Instant.now());
        } catch (ApiException | IllegalArgumentException e) {
            end = job.with(Job.State.failed, List.of(), List.of(), e.getMessage(), job.note(), started, Instant.now());
        } catch (Exception | OutOfMemoryError e) {
            end = job.with(Job.State.failed, List.of(), List.of(), "internal error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("")), job.note(),
                    started, Instant.now());
        } finally {
            cancelRequested = null;
        }
        progress = null;
        preview = null;
        finish(end);
    }

    private static byte[] previewPng(dev.stepwise.core.tensor.Tensor denoised) {
        try {
            return PngWriter.encode(PngWriter.image(denoised, 0, 1, Filter.NEAREST), null);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void finish(Job j) {
        store.update(j);
        changed(j);
        futures.computeIfAbsent(j.id(), k -> new CompletableFuture<>()).complete(j);
        futures.remove(j.id());
    }

    private void changed(Job j) {
        tell(listeners, j);
        queueChanged();
    }

    private void queueChanged() {
        tell(queueListeners, this);
    }

    private static <T> void tell(List<Consumer<T>> ls, T event) {
        for (Consumer<T> l : ls) {
            try {
                l.accept(event);
            } catch (RuntimeException e) {
                // a listener (a closed websocket) must not stop the queue
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        Progress p = progress;
        if (p != null) {
            cancelRequested = p.id();
        }
        compares.stop();
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        generator.close();
    }
}
