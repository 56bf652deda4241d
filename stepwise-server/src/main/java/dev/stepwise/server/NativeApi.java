package dev.stepwise.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * The native API: {@code stepwise generate}'s settings as JSON (see {@link GenerateSpec}), the catalogue, and the
 * jobs of the queue.
 */
final class NativeApi {
    private NativeApi() {
    }

    static void routes(StepwiseServer s, JavalinConfig c) {
        c.routes.get("/api/samplers", ctx -> ctx.json(Catalog.samplers(s.json)));
        c.routes.get("/api/schedulers", ctx -> ctx.json(Catalog.schedulers(s.json)));
        c.routes.get("/api/models", ctx -> ctx.json(Catalog.models(s.json, s.config.models())));
        c.routes.post("/api/generate", ctx -> generate(s, ctx));
        c.routes.post("/api/jobs", ctx -> {
            Job j = submit(s, ctx, Set.of());
            ctx.status(202).json(job(s, j));
        });
        c.routes.get("/api/jobs", ctx -> {
            ArrayNode out = s.json.createArrayNode();
            s.queue.latest(100).forEach(j -> out.add(job(s, j)));
            ctx.json(out);
        });
        c.routes.get("/api/jobs/{id}", ctx -> ctx.json(job(s, find(s, ctx.pathParam("id")))));
        c.routes.get("/api/jobs/{id}/images/{n}", ctx -> {
            Job j = find(s, ctx.pathParam("id"));
            int n = index(ctx.pathParam("n"), j.images().size());
            ctx.contentType("image/png").result(s.image(j.images().get(n - 1)));
        });
        c.routes.get("/api/jobs/{id}/preview", ctx -> {
            Job j = find(s, ctx.pathParam("id"));
            JobQueue.Preview p = s.queue.preview();
            if (p == null || !p.id().equals(j.id())) {
                throw new ApiException(404, "id", "job " + j.id() + " has no preview now: there is one while it runs,"
                        + " after its first step");
            }
            ctx.header("X-Stepwise-Step", Integer.toString(p.step())).contentType("image/png").result(p.png());
        });
        c.routes.post("/api/jobs/{id}/cancel", ctx -> {
            Job j = find(s, ctx.pathParam("id"));
            if (!s.queue.cancel(j.id())) {
                throw new ApiException(409, "id", "job " + j.id() + " is " + j.state() + ": only a queued or running job"
                        + " can be cancelled");
            }
            ctx.json(job(s, s.queue.get(j.id()).orElse(j)));
        });
        c.routes.get("/api/queue", ctx -> {
            ObjectNode n = s.json.createObjectNode();
            JobQueue.Progress p = s.queue.progress();
            List<JobQueue.Entry> waiting = s.queue.waiting();
            n.put("running", p == null ? null : p.id());
            ArrayNode ids = n.putArray("waiting");
            waiting.forEach(e -> ids.add(e.id()));
            n.put("capacity", s.queue.capacity());
            // Every entry, the running one first, with its kind and where to follow it.
            ArrayNode entries = n.putArray("entries");
            if (p != null) {
                entry(entries, p.id(), p.kind(), "running");
            }
            waiting.forEach(e -> entry(entries, e.id(), e.kind(), "queued"));
            ctx.json(n);
        });
    }

    private static void entry(ArrayNode entries, String id, JobQueue.Kind kind, String state) {
        entries.addObject().put("id", id).put("kind", kind.name()).put("state", state)
                .put("link", (kind == JobQueue.Kind.compare ? "/api/compare/" : "/api/jobs/") + id);
    }

    static Job find(StepwiseServer s, String id) {
        return s.queue.get(id).orElseThrow(() -> new ApiException(404, "id", "no job '" + id + "'"));
    }

    private static int index(String text, int count) {
        int n;
        try {
            n = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1 || n > count) {
            throw new ApiException(404, "n", "image '" + text + "' is not one of the job's images; allowed: 1.." + count);
        }
        return n;
    }

    private static Job submit(StepwiseServer s, Context ctx, Set<String> extra) {
        JsonNode body = s.body(ctx);
        GenerateSpec spec = GenerateSpec.read(body, extra);
        spec.check(s.config.models(), s.config.limits());
        return s.queue.submit("native", spec, body.toString());
    }

    /** Waits for a job; a 409 when it was cancelled, a 500 naming the failure when it failed. */
    static Job await(StepwiseServer s, Job j) throws InterruptedException {
        Job done;
        try {
            done = s.queue.completion(j.id()).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        if (done.state() == Job.State.cancelled) {
            throw new ApiException(409, null, "job " + done.id() + " was cancelled");
        }
        if (done.state() != Job.State.done) {
            throw new ApiException(500, null, "job " + done.id() + " failed: " + done.error());
        }
        return done;
    }

    private static void generate(StepwiseServer s, Context ctx) throws InterruptedException {
        JsonNode body = s.body(ctx);
        String format = body.isObject() && body.has("format") && body.get("format").isTextual()
                ? body.get("format").asText() : body.isObject() && body.has("format") ? "?" : "png";
        if (!format.equals("png") && !format.equals("json")) {
            throw ApiException.bad("format", "format " + body.get("format") + " is not allowed; allowed: png, json");
        }
        GenerateSpec spec = GenerateSpec.read(body, Set.of("format"));
        if (format.equals("png") && spec.images() > 1) {
            throw ApiException.bad("format", "format png returns one image, but batch x iterations = " + spec.images()
                    + "; ask for format json");
        }
        spec.check(s.config.models(), s.config.limits());
        Job done = await(s, s.queue.submit("native", spec, body.toString()));
        if (format.equals("png")) {
            ctx.header("X-Stepwise-Job", done.id()).contentType("image/png").result(s.image(done.images().get(0)));
            return;
        }
        ObjectNode out = s.json.createObjectNode();
        ArrayNode images = out.putArray("images");
        for (String img : done.images()) {
            images.add(Base64.getEncoder().encodeToString(s.image(img)));
        }
        out.set("parameters", spec.toJson(s.json));
        out.set("infotexts", s.json.valueToTree(done.infotexts()));
        out.put("job", done.id());
        ctx.json(out);
    }

    /** A job as the native API shows it. */
    static ObjectNode job(StepwiseServer s, Job j) {
        ObjectNode n = s.json.createObjectNode();
        n.put("id", j.id()).put("api", j.api()).put("state", j.state().name());
        n.set("parameters", j.spec().toJson(s.json));
        JobQueue.Progress p = s.queue.progress();
        if (p != null && p.id().equals(j.id()) && j.state() == Job.State.running) {
            n.put("step", p.done()).put("steps", p.total());
            JobQueue.Preview preview = s.queue.preview();
            if (preview != null && preview.id().equals(j.id())) {
                n.put("preview", "/api/jobs/" + j.id() + "/preview?step=" + preview.step()).put("preview_step", preview.step());
            }
        }
        position(s, n, j.id(), j.state());
        ArrayNode images = n.putArray("images");
        for (int i = 1; i <= j.images().size(); i++) {
            images.add("/api/jobs/" + j.id() + "/images/" + i);
        }
        n.set("infotexts", s.json.valueToTree(j.infotexts()));
        outcome(n, j.error(), j.note(), j.created(), j.started(), j.finished());
        return n;
    }

    /** A queued job's or compare run's place in the one queue: how many entries, of either kind, wait before it. */
    static void position(StepwiseServer s, ObjectNode n, String id, Job.State state) {
        int position = state == Job.State.queued ? s.queue.position(id) : -1;
        if (position >= 0) {
            n.put("position", position);
        }
    }

    /** A job's or compare run's error, note and times, as both APIs report them (absent fields left out). */
    static void outcome(ObjectNode n, String error, String note, Instant created, Instant started, Instant finished) {
        if (error != null) {
            n.put("error", error);
        }
        if (note != null) {
            n.put("note", note);
        }
        n.put("created", String.valueOf(created));
        if (started != null) {
            n.put("started", started.toString());
        }
        if (finished != null) {
            n.put("finished", finished.toString());
        }
    }
}
