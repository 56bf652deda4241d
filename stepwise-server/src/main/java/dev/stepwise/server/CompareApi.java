package dev.stepwise.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.harness.Cell;
import dev.stepwise.harness.CellResult;
import dev.stepwise.harness.CellStore;
import dev.stepwise.harness.HumanScores;
import dev.stepwise.harness.PlanException;
import dev.stepwise.harness.ScoringSheet;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.FileVisitResult;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Compare runs over HTTP: submit a plan ({@link CompareSpec}), follow it (a run's state, server-sent events per
 * cell), cancel or rerun it, read its report files, and score its images by hand (the harness's scoring sheet,
 * saved as the run's {@code scores.csv} as each score is given; a rerun puts the scores into the report).
 */
final class CompareApi {
    private final StepwiseServer s;
    private final CompareRuns runs;
    private final Map<String, Subscribers<SseClient>> streams = new ConcurrentHashMap<>();
    private final Map<String, Object> scoreLocks = new ConcurrentHashMap<>();

    private CompareApi(StepwiseServer s) {
        this.s = s;
        this.runs = s.compares;
    }

    static void routes(StepwiseServer s, JavalinConfig c) {
        CompareApi api = new CompareApi(s);
        api.runs.onChange(new CompareRuns.Listener() {
            @Override
            public void changed(CompareRun run) {
                api.send(run.id(), "state", api.run(run, false));
                if (run.state().finished()) {
                    api.closeStreams(run.id());
                }
            }

            @Override
            public void cell(String runId, CellResult cell, int done, int total) {
                ObjectNode n = s.json.createObjectNode().put("done", done).put("total", total);
                n.set("cell", api.cell(runId, cell));
                api.send(runId, "cell", n);
            }
        });
        c.routes.post("/api/compare", ctx -> {
            JsonNode body = s.body(ctx);
            CompareSpec spec = CompareSpec.read(body, s.json, s.config.models(), s.config.limits());
            ObjectNode request = s.json.createObjectNode();
            request.set("plan", body.get("plan"));
            if (spec.checklist() != null) {
                request.set("checklist", body.get("checklist"));
            }
            ctx.status(202).json(api.run(s.queue.submit(spec, request.toString()), true));
        });
        c.routes.get("/api/compare", ctx -> {
            ArrayNode out = s.json.createArrayNode();
            api.runs.latest(100).forEach(r -> out.add(api.run(r, false)));
            ctx.json(out);
        });
        c.routes.get("/api/compare/{id}", ctx -> ctx.json(api.run(api.find(ctx), true)));
        c.routes.get("/api/compare/{id}/events", ctx -> {
            CompareRun r = api.find(ctx);
            new SseHandler(client -> api.stream(r.id(), client)).handle(ctx);
        });
        c.routes.post("/api/compare/{id}/cancel", ctx -> {
            CompareRun r = api.find(ctx);
            if (!s.queue.cancel(r.id())) {
                throw new ApiException(409, "id", "compare run " + r.id() + " is " + r.state() + ": only a queued or"
                        + " running run can be cancelled");
            }
            ctx.json(api.run(api.runs.get(r.id()).orElse(r), false));
        });
        c.routes.post("/api/compare/{id}/rerun", ctx -> ctx.status(202).json(api.run(s.queue.rerun(api.find(ctx)), false)));
        c.routes.get("/api/compare/{id}/files/<path>", ctx -> api.file(ctx));
        c.routes.get("/api/compare/{id}/scores", ctx -> ctx.json(api.scores(api.find(ctx))));
        c.routes.post("/api/compare/{id}/scores", ctx -> ctx.json(api.score(api.find(ctx), s.body(ctx))));
    }

    private CompareRun find(Context ctx) {
        String id = ctx.pathParam("id");
        return runs.get(id).orElseThrow(() -> new ApiException(404, "id", "no compare run '" + id + "'"));
    }

    private String base(String id) {
        return "/api/compare/" + id;
    }

    /** A run as the API shows it; {@code full} adds its report files and its summary. */
    ObjectNode run(CompareRun r, boolean full) {
        ObjectNode n = s.json.createObjectNode();
        n.put("id", r.id()).put("name", r.name()).put("state", r.state().name());
        JobQueue.Progress p = s.queue.progress();
        boolean live = r.state() == Job.State.running && p != null && p.id().equals(r.id());
        n.put("done", live ? p.done() : r.done()).put("total", live ? p.total() : r.total());
        NativeApi.position(s, n, r.id(), r.state());
        NativeApi.outcome(n, r.error(), r.note(), r.created(), r.started(), r.finished());
        try {
            n.set("request", s.json.readTree(r.request()));
        } catch (IOException e) {
            throw new IllegalStateException("stored request of " + r.id() + " is not JSON", e);
        }
        String base = base(r.id());
        n.putObject("links").put("self", base).put("events", base + "/events").put("files", base + "/files/")
                .put("report", base + "/files/index.html").put("scores", base + "/scores");
        if (full) {
            Path dir = runs.folder(r.id());
            ArrayNode files = n.putArray("files");
            reportFiles(dir).forEach(files::add);
            Path summary = dir.resolve("summary.json");
            if (Files.isRegularFile(summary)) {
                try {
                    n.set("summary", s.json.readTree(summary.toFile()));
                } catch (IOException e) {
                    throw new ApiException(500, null, "the report's summary.json cannot be read: " + e.getMessage());
                }
            }
        }
        return n;
    }

    /**
     * The files of a report folder, relative, with '/', sorted; links are not followed, and a file that goes while
     * the folder is read (a cell's temporary file, renamed into place) is left out.
     */
    private static List<String> reportFiles(Path dir) {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                    if (a.isRegularFile()) {
                        out.add(dir.relativize(f).toString().replace('\\', '/'));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new ApiException(500, null, "the report folder cannot be listed: " + e.getMessage());
        }
        out.sort(null);
        return out;
    }

    private ObjectNode cell(String runId, CellResult r) {
        Cell c = r.cell();
        ObjectNode n = s.json.createObjectNode();
        n.put("id", r.id()).put("sampler", c.config().sampler().label()).put("scheduler", c.config().scheduler().label())
                .put("steps", c.steps()).put("cfg", c.config().cfg()).put("prompt", c.prompt()).put("seed", c.seed())
                .put("nfe", r.nfe()).put("seconds", r.seconds());
        if (!r.image().isEmpty()) {
            n.put("image", base(runId) + "/files/" + r.image());
        }
        if (r.failed()) {
            n.put("error", r.error());
        }
        return n;
    }

    // ------------------------------------------------------------------------------------------- events

    private void stream(String id, SseClient client) {
        client.keepAlive();
        Subscribers<SseClient> subscribers = streams.computeIfAbsent(id, k -> new Subscribers<>());
        client.onClose(() -> subscribers.leave(client));
        // The state now, then every change: a client that connects late misses nothing it needs, and no cell event
        // (sent from the run's thread) overtakes the state.
        CompareRun[] r = new CompareRun[1];
        subscribers.join(client, c -> {
            r[0] = runs.get(id).orElseThrow();
            c.sendEvent("state", run(r[0], false).toString());
        });
        if (r[0].state().finished()) {
            subscribers.leave(client);
            client.close();
        }
    }

    private void send(String id, String event, ObjectNode data) {
        Subscribers<SseClient> subscribers = streams.get(id);
        if (subscribers != null) {
            String text = data.toString();
            subscribers.send(c -> {
                if (!c.terminated()) {
                    c.sendEvent(event, text);
                }
            });
        }
    }

    private void closeStreams(String id) {
        Subscribers<SseClient> subscribers = streams.remove(id);
        if (subscribers != null) {
            subscribers.closeAll(SseClient::close);
        }
    }

    // -------------------------------------------------------------------------------------------- files

    /** A report file; never one outside the run's folder (no "..", no absolute path, no link that leads out). */
    private void file(Context ctx) throws IOException {
        CompareRun r = find(ctx);
        String path = ctx.pathParam("path");
        Path file = StepwiseServer.inside(runs.folder(r.id()), path, "path", "the run's report folder");
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        String type = name.endsWith(".png") ? "image/png" : name.endsWith(".svg") ? "image/svg+xml"
                : name.endsWith(".html") ? "text/html; charset=utf-8" : name.endsWith(".json") ? "application/json"
                : name.endsWith(".csv") ? "text/csv; charset=utf-8" : name.endsWith(".md") ? "text/markdown; charset=utf-8"
                : "application/octet-stream";
        ctx.contentType(type).result(Files.readAllBytes(file));
    }

    // ------------------------------------------------------------------------------------------ scoring

    /** What scoring needs of a finished run: its spec, its results read back from the folder, its scores so far. */
    private record Scoring(CompareSpec spec, List<CellResult> scorable, HumanScores human, Path scoresFile) {
    }

    private Scoring scoring(CompareRun r) throws IOException {
        CompareSpec spec = CompareSpec.read(s.json.readTree(r.request()), s.json, s.config.models(), s.config.limits());
        if (spec.checklist() == null) {
            throw new ApiException(409, "id", "compare run " + r.id() + " has no checklist: submit the plan with a"
                    + " \"checklist\" ({\"prompts\": [{\"prompt\": ..., \"criteria\": [...]}]}) to score it");
        }
        Path dir = runs.folder(r.id());
        List<CellResult> results = new ArrayList<>();
        Path cells = dir.resolve(CellStore.CELLS);
        if (Files.isDirectory(cells)) {
            CellStore store = CellStore.open(dir);
            try (Stream<Path> files = Files.list(cells)) {
                for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList()) {
                    String name = f.getFileName().toString();
                    store.read(name.substring(0, name.length() - ".json".length())).ifPresent(results::add);
                }
            }
        }
        List<CellResult> scorable = ScoringSheet.scorable(spec.plan(), results, spec.checklist());
        Path scoresFile = dir.resolve(ScoringSheet.SCORES);
        HumanScores human = null;
        if (Files.isRegularFile(scoresFile)) {
            try {
                human = ScoringSheet.read(scoresFile, spec.plan(), results, spec.checklist());
            } catch (PlanException e) {
                throw new ApiException(409, null, "the run's " + ScoringSheet.SCORES + " cannot be read: "
                        + e.getMessage().replace(dir.toString(), "").replaceFirst("^/", ""));
            }
        }
        return new Scoring(spec, scorable, human, scoresFile);
    }

    private ObjectNode scores(CompareRun r) throws IOException {
        Scoring sc = scoring(r);
        ObjectNode out = s.json.createObjectNode();
        out.put("run", r.id()).put("state", r.state().name());
        ArrayNode images = out.putArray("images");
        int scored = 0;
        for (CellResult c : sc.scorable()) {
            ObjectNode n = images.addObject();
            scored += image(n, r.id(), sc, c) ? 1 : 0;
        }
        out.put("scored", scored);
        out.put("report", base(r.id()) + "/files/index.html");
        return out;
    }

    /** One scorable image with its prompt's checklist and the scores given; whether every criterion is scored. */
    private boolean image(ObjectNode n, String runId, Scoring sc, CellResult c) {
        n.setAll(cell(runId, c));
        String prompt = sc.spec().plan().prompts().get(c.cell().prompt()).prompt();
        n.put("prompt", prompt).put("prompt_index", c.cell().prompt());
        List<String> criteria = sc.spec().checklist().criteria(prompt);
        n.set("criteria", s.json.valueToTree(criteria));
        Map<String, Integer> given = sc.human() == null ? Map.of() : sc.human().given(c.id());
        ObjectNode g = n.putObject("scores");
        criteria.stream().filter(given::containsKey).forEach(k -> g.put(k, given.get(k)));
        return given.keySet().containsAll(criteria);
    }

    /**
     * {@code {"cell": ID, "scores": {"CRITERION": 0 | 1 | null}}}: sets (null clears) scores of one image and saves
     * the whole sheet at once as the run's scores.csv; returns the image with its scores.
     */
    private ObjectNode score(CompareRun r, JsonNode body) throws IOException {
        Fields f = Fields.of(body, Set.of("cell", "scores"));
        String cell = f.string("cell", null);
        if (cell == null) {
            throw ApiException.bad("cell", "cell is missing: give the id of an image to score (see GET " + base(r.id())
                    + "/scores)");
        }
        JsonNode given = f.node("scores");
        if (given == null || !given.isObject()) {
            throw ApiException.bad("scores", "scores must be an object such as {\"is a sneaker\": 1}: 1 acceptable,"
                    + " 0 flawed, null not scored");
        }
        synchronized (scoreLocks.computeIfAbsent(r.id(), k -> new Object())) {
            Scoring sc = scoring(r);
            CellResult target = sc.scorable().stream().filter(c -> c.id().equals(cell)).findFirst()
                    .orElseThrow(() -> ApiException.bad("cell", "cell '" + cell + "' is not a scorable image of run "
                            + r.id() + " (a finished cell whose prompt the checklist scores)"));
            String prompt = sc.spec().plan().prompts().get(target.cell().prompt()).prompt();
            List<String> criteria = sc.spec().checklist().criteria(prompt);
            Map<String, Map<String, Integer>> all = new LinkedHashMap<>();
            for (CellResult c : sc.scorable()) {
                all.put(c.id(), new HashMap<>(sc.human() == null ? Map.of() : sc.human().given(c.id())));
            }
            Map<String, Integer> mine = all.get(cell);
            for (Map.Entry<String, JsonNode> e : given.properties()) {
                if (!criteria.contains(e.getKey())) {
                    throw ApiException.bad("scores", "criterion '" + e.getKey() + "' is not on the checklist of prompt '"
                            + prompt + "'; allowed: " + String.join(", ", criteria.stream().map(x -> "'" + x + "'").toList()));
                }
                JsonNode v = e.getValue();
                if (v.isNull()) {
                    mine.remove(e.getKey());
                } else if (v.isInt() && (v.asInt() == 0 || v.asInt() == 1)) {
                    mine.put(e.getKey(), v.asInt());
                } else {
                    throw ApiException.bad("scores", "score " + v + " of '" + e.getKey() + "' is not allowed; give 1"
                            + " (acceptable), 0 (flawed) or null (not scored)");
                }
            }
            ScoringSheet.writeScores(sc.scoresFile(), sc.spec().plan(), sc.scorable(), sc.spec().checklist(), all);
            ObjectNode out = s.json.createObjectNode();
            image(out, r.id(), scoring(r), target);
            return out;
        }
    }
}
