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
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The one queue every generate job goes through, whichever API sent it: a bounded number of jobs waiting, one
 * running at a time on one worker thread, progress, cancel. Each change of a job is stored ({@link JobStore}) before
 * it is reported. At start the store's leftovers of a stopped server are settled explicitly: a job that was running
 * is failed (its images were never marked done), queued jobs are queued again.
 */
final class JobQueue implements AutoCloseable {
    /** A running job's progress: steps done out of all its steps (every iteration). */
    record Progress(String id, int done, int total, Instant started) {
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
    private final int capacity;
    private final LinkedBlockingDeque<String> waiting = new LinkedBlockingDeque<>();
    private final Map<String, CompletableFuture<Job>> futures = new ConcurrentHashMap<>();
    private final List<Consumer<Job>> listeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Progress>> progressListeners = new CopyOnWriteArrayList<>();
    private final Thread worker;
    private volatile Progress progress;
    private volatile Preview preview;
    private volatile String cancelRequested;
    private volatile boolean closed;

    JobQueue(JobStore store, Generator generator, int capacity) {
        this.store = store;
        this.generator = generator;
        this.capacity = capacity;
        Instant now = Instant.now();
        for (Job j : store.inState(Job.State.running)) {
            store.update(j.with(Job.State.failed, List.of(), List.of(), "the server stopped while this job ran; submit it"
                    + " again", "failed at restart", j.started(), now));
        }
        for (Job j : store.inState(Job.State.queued)) {
            store.update(j.with(Job.State.queued, List.of(), List.of(), null, "queued again at restart", null, null));
            waiting.add(j.id());
        }
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

    /**
     * Queues a job; the spec was checked by the caller.
     *
     * @throws ApiException 429 when the queue is full, 503 when the server is stopping
     */
    synchronized Job submit(String api, GenerateSpec spec, String request) {
        if (closed) {
            throw new ApiException(503, null, "the server is stopping; try again later");
        }
        if (waiting.size() >= capacity) {
            throw new ApiException(429, null, "the queue is full (" + capacity + " jobs waiting); try again later");
        }
        Job j = new Job(UUID.randomUUID().toString(), api, Job.State.queued, spec, request, List.of(), List.of(), null,
                null, Instant.now(), null, null);
        store.insert(j);
        futures.put(j.id(), new CompletableFuture<>());
        waiting.add(j.id());
        changed(j);
        return j;
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

    /** Ids of the waiting jobs, next first. */
    List<String> waiting() {
        return new ArrayList<>(waiting);
    }

    /** The running job's latest preview, or null (none runs, or no step has finished yet). */
    Preview preview() {
        Preview p = preview;
        Progress running = progress;
        return p != null && running != null && p.id().equals(running.id()) ? p : null;
    }

    /** The running job's progress, or null when none runs. */
    Progress progress() {
        return progress;
    }

    /**
     * Cancels a waiting job (at once) or the running one (after its current step).
     *
     * @return whether the job was waiting or running
     */
    synchronized boolean cancel(String id) {
        if (waiting.remove(id)) {
            store.get(id).ifPresent(j -> finish(j.with(Job.State.cancelled, List.of(), List.of(), "cancelled", j.note(), null,
                    Instant.now())));
            return true;
        }
        Progress p = progress;
        if (p != null && p.id().equals(id)) {
            cancelRequested = id;
            return true;
        }
        return false;
    }

    /** Cancels the running job, if any (A1111's and ComfyUI's interrupt). */
    boolean interrupt() {
        Progress p = progress;
        return p != null && cancel(p.id());
    }

    private void work() {
        drain(waiting, () -> closed, id -> store.get(id).filter(j -> j.state() == Job.State.queued)
                .ifPresent(this::run));
    }

    /**
     * The worker loop of a queue (this one and {@link CompareQueue}): each id taken from {@code waiting}, in order,
     * handed to {@code run}, until {@code closed} says so or the thread is interrupted. The poll's timeout lets a
     * close end the loop while nothing waits.
     */
    static void drain(LinkedBlockingDeque<String> waiting, BooleanSupplier closed, Consumer<String> run) {
        while (!closed.getAsBoolean()) {
            String id;
            try {
                id = waiting.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (id != null) {
                run.accept(id);
            }
        }
    }

    private void run(Job queued) {
        Instant started = Instant.now();
        Job job = queued.with(Job.State.running, List.of(), List.of(), null, queued.note(), started, null);
        store.update(job);
        progress = new Progress(job.id(), 0, 0, started);
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
                    preview = new Preview(job.id(), done, previewPng(denoised.get()));
                }
                Progress p = new Progress(job.id(), done, total, started);
                progress = p;
                progressListeners.forEach(l -> l.accept(p));
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
        for (Consumer<Job> l : listeners) {
            try {
                l.accept(j);
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
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        generator.close();
    }
}
