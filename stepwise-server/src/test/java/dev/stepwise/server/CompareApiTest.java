package dev.stepwise.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.harness.CellResult;
import dev.stepwise.harness.Comparison;
import dev.stepwise.harness.ImageSource;
import dev.stepwise.harness.Plan;
import dev.stepwise.harness.PlanCheck;
import dev.stepwise.harness.PlanReader;
import dev.stepwise.onnx.OnnxOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Compare runs over the native API, on the tiny fixture model: plan, events, report files, scoring, cancel, restart. */
class CompareApiTest {
    @RegisterExtension
    static final TestServer server = new TestServer();

    static final String CHECKLIST = "{\"prompts\": [{\"prompt\": \"sneaker\", \"criteria\": [\"is a sneaker\", \"sole drawn\"]}]}";

    /** Two samplers x one scheduler x 3 steps x one prompt x seeds: one cell at a time. */
    static String plan(String seeds, int steps) {
        return "{\"name\": \"tiny\", \"model\": \"tiny-eps\", \"samplers\": [\"euler\", \"dpmpp_2m\"], \"schedulers\":"
                + " [\"karras\"], \"steps\": [" + steps + "], \"prompts\": [\"sneaker\"], \"seeds\": \"" + seeds + "\","
                + " \"reference\": false, \"parallel\": 1}";
    }

    static JsonNode await(Http http, String id) throws InterruptedException {
        for (int i = 0; i < 1200; i++) {
            Http.Response got = http.get("/api/compare/" + id);
            assertEquals(200, got.status(), got.toString());
            JsonNode r = got.json();
            if (List.of("done", "failed", "cancelled").contains(r.get("state").asText())) {
                return r;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("compare run " + id + " did not finish");
    }

    /** The events of a run's stream until the server ends it: [event, data] pairs. */
    static CompletableFuture<List<String[]>> events(int port, String id) {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/compare/" + id + "/events"))
                .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(60)).GET().build();
        return HttpClient.newHttpClient().sendAsync(req, HttpResponse.BodyHandlers.ofLines()).thenApply(r -> {
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"), r.headers().toString());
            List<String[]> out = new ArrayList<>();
            String[] event = {null};
            try (Stream<String> lines = r.body()) {
                lines.forEach(line -> {
                    if (line.startsWith("event:")) {
                        event[0] = line.substring(6).strip();
                    } else if (line.startsWith("data:")) {
                        out.add(new String[] {event[0], line.substring(5).strip()});
                    }
                });
            }
            return out;
        });
    }

    @Test
    void aPlanRunsAsTheHarnessRunsItWithEventsFilesAndScores(@TempDir Path direct) throws Exception {
        Http http = server.http();
        Http.Response submitted = http.post("/api/compare", "{\"plan\": " + plan("1-2", 3) + ", \"checklist\": " + CHECKLIST + "}");
        assertEquals(202, submitted.status(), submitted.toString());
        String id = submitted.json().get("id").asText();
        assertEquals(4, submitted.json().get("total").asInt());
        CompletableFuture<List<String[]>> stream = events(server.port(), id);
        JsonNode run = await(http, id);
        assertEquals("done", run.get("state").asText(), run.path("error").asText());
        assertEquals(4, run.get("done").asInt());

        // The stream: the state at once, a cell event per cell run after it connected, the final state last.
        List<String[]> events = stream.get();
        assertEquals("state", events.get(0)[0]);
        String[] last = events.get(events.size() - 1);
        assertEquals("state", last[0]);
        assertEquals("done", Http.JSON.readTree(last[1]).get("state").asText());
        List<Integer> dones = new ArrayList<>();
        for (String[] e : events) {
            if ("cell".equals(e[0])) {
                JsonNode n = Http.JSON.readTree(e[1]);
                assertEquals(4, n.get("total").asInt());
                dones.add(n.get("done").asInt());
                assertTrue(n.get("cell").get("image").asText().startsWith("/api/compare/" + id + "/files/images/"));
            }
        }
        for (int i = 1; i < dones.size(); i++) {
            assertEquals(dones.get(i - 1) + 1, dones.get(i), "cells counted one by one: " + dones);
        }

        // The report, in the run's folder under the data folder, with the files listed and served.
        Path folder = server.data().resolve("compare").resolve(id);
        List<String> files = new ArrayList<>();
        run.get("files").forEach(f -> files.add(f.asText()));
        for (String f : List.of("index.html", "summary.md", "summary.json", "cells.csv", "plan.json", "scoring-sheet.csv")) {
            assertTrue(files.contains(f), f + " in " + files);
        }
        assertEquals(2, run.get("summary").get("rows").size());
        Http.Response page = http.get("/api/compare/" + id + "/files/index.html");
        assertEquals(200, page.status());
        assertTrue(page.contentType().startsWith("text/html"));
        assertArrayEquals(Files.readAllBytes(folder.resolve("index.html")), page.body());

        // The same plan run by the harness directly (as stepwise compare does) makes the same images.
        Plan p = PlanReader.parse(plan("1-2", 3).getBytes(StandardCharsets.UTF_8), false, "plan", Http.fixtures());
        List<CellResult> mine;
        try (ImageSource source = ImageSource.open(Http.fixtures().resolve("tiny-eps"), null, OnnxOptions.defaults())) {
            mine = Comparison.run(p, PlanCheck.check(p, Http.fixtures()), source, direct, Comparison.Listener.NONE);
        }
        for (CellResult r : mine) {
            Http.Response img = http.get("/api/compare/" + id + "/files/" + r.image());
            assertEquals("image/png", img.contentType());
            assertArrayEquals(Files.readAllBytes(direct.resolve(r.image())), img.body(), r.image());
        }

        // Scoring: the four images with the prompt's checklist, nothing scored yet.
        JsonNode sheet = http.get("/api/compare/" + id + "/scores").json();
        assertEquals(4, sheet.get("images").size());
        assertEquals(0, sheet.get("scored").asInt());
        Map<String, String> samplerOf = new HashMap<>();
        Map<String, Long> seedOf = new HashMap<>();
        for (JsonNode img : sheet.get("images")) {
            assertEquals("[\"is a sneaker\",\"sole drawn\"]", img.get("criteria").toString());
            assertEquals(0, img.get("scores").size());
            samplerOf.put(img.get("id").asText(), img.get("sampler").asText());
            seedOf.put(img.get("id").asText(), img.get("seed").asLong());
        }
        // euler: seed 1 scores 1+1, seed 2 1+0 -> average 1.50 of 2; dpmpp_2m: seed 1 0+0, seed 2 1+1 -> 1.00 of 2.
        for (String cell : samplerOf.keySet()) {
            boolean euler = samplerOf.get(cell).equals("euler");
            boolean one = seedOf.get(cell) == 1;
            int a = euler ? 1 : one ? 0 : 1, b = euler ? (one ? 1 : 0) : one ? 0 : 1;
            Http.Response r = http.post("/api/compare/" + id + "/scores", "{\"cell\": \"" + cell
                    + "\", \"scores\": {\"is a sneaker\": " + a + ", \"sole drawn\": " + b + "}}");
            assertEquals(200, r.status(), r.toString());
            assertEquals(a, r.json().get("scores").get("is a sneaker").asInt());
        }
        String csv = Files.readString(folder.resolve("scores.csv"));
        assertEquals(9, csv.lines().count(), csv);
        assertEquals(4, http.get("/api/compare/" + id + "/scores").json().get("scored").asInt());
        // Clearing one criterion leaves that image unscored.
        String anyCell = samplerOf.keySet().iterator().next();
        http.post("/api/compare/" + id + "/scores", "{\"cell\": \"" + anyCell + "\", \"scores\": {\"sole drawn\": null}}");
        assertEquals(3, http.get("/api/compare/" + id + "/scores").json().get("scored").asInt());
        int restore = samplerOf.get(anyCell).equals("euler") ? (seedOf.get(anyCell) == 1 ? 1 : 0) : seedOf.get(anyCell) == 1 ? 0 : 1;
        http.post("/api/compare/" + id + "/scores", "{\"cell\": \"" + anyCell + "\", \"scores\": {\"sole drawn\": " + restore + "}}");

        // A rerun keeps every cell (the resume rule) and rebuilds the report with the scores.
        FileTime before = Files.getLastModifiedTime(folder.resolve(mine.get(0).image()));
        Http.Response rerun = http.post("/api/compare/" + id + "/rerun", "");
        assertEquals(202, rerun.status(), rerun.toString());
        assertEquals("done", await(http, id).get("state").asText());
        assertEquals(before, Files.getLastModifiedTime(folder.resolve(mine.get(0).image())));
        String summary = new String(http.get("/api/compare/" + id + "/files/summary.md").body(), StandardCharsets.UTF_8);
        assertTrue(summary.contains("average score 1.50 out of 2"), summary);
        assertTrue(summary.contains("average score 1.00 out of 2"), summary);
    }

    @Test
    void badPlansAreRefusedNamingTheField() {
        Http http = server.http();
        String[][] bad = {
                {"{}", "plan"},
                {"{\"plan\": [1]}", "plan"},
                {"{\"plan\": " + plan("1", 3) + ", \"extra\": 1}", "extra"},
                {"{\"plan\": {\"model\": \"../etc\", \"samplers\": [\"euler\"]}}", "plan.model"},
                {"{\"plan\": {\"model\": \"gmm:/etc/passwd\"}}", "plan.model"},
                {"{\"plan\": {\"model\": \"tiny-eps\", \"checklist\": \"/etc/passwd\"}}", "plan.checklist"},
                {"{\"plan\": {\"model\": \"tiny-eps\", \"schedulers\": [\"file:/etc/passwd\"]}}", "plan.schedulers"},
                {"{\"plan\": {\"model\": \"tiny-eps\", \"schedulers\": [{\"name\": \"file:x.json\"}]}}", "plan.schedulers"},
                {"{\"plan\": " + plan("1", 3).replace("euler", "eulr") + "}", "plan"},
                {"{\"plan\": " + plan("1", 3).replace("[3]", "[100000]") + "}", "plan"},
                {"{\"plan\": " + plan("1", 3).replace("tiny-eps", "nosuch") + "}", "plan"},
                {"{\"plan\": " + plan("1", 3) + ", \"checklist\": {\"prompts\": [{\"prompt\": \"bag\", \"criteria\": [\"x\"]}]}}",
                        "checklist"},
        };
        for (String[] b : bad) {
            Http.Response r = http.post("/api/compare", b[0]);
            assertEquals(400, r.status(), b[0] + ": " + r);
            assertEquals(b[1], r.json().get("field").asText(), b[0] + ": " + r);
            assertFalse(r.text().contains(Http.fixtures().toString()), "no server path in " + r);
        }
        assertTrue(http.post("/api/compare", "{\"plan\": " + plan("1", 3).replace("euler", "eulr") + "}").json()
                .get("error").asText().contains("eulr"));
        assertEquals(404, http.get("/api/compare/nosuch").status());
        assertEquals(404, http.get("/api/compare/nosuch/files/index.html").status());
        assertEquals(404, http.post("/api/compare/nosuch/cancel", "").status());
    }

    @Test
    void filesNeverLeaveTheRunsFolderAndScoresAreChecked() throws Exception {
        Http http = server.http();
        String noChecklist = http.post("/api/compare", "{\"plan\": " + plan("1", 3) + "}").json().get("id").asText();
        String id = http.post("/api/compare", "{\"plan\": " + plan("1", 3) + ", \"checklist\": " + CHECKLIST + "}").json()
                .get("id").asText();
        assertEquals("done", await(http, noChecklist).get("state").asText());
        assertEquals("done", await(http, id).get("state").asText());
        Path folder = server.data().resolve("compare").resolve(id);
        Path secret = Files.writeString(server.data().resolve("secret.txt"), "TOP-SECRET-BYTES");
        Files.createSymbolicLink(folder.resolve("out.txt"), secret);
        Http.Response link = http.get("/api/compare/" + id + "/files/out.txt");
        assertEquals(400, link.status(), link.toString());
        assertTrue(link.json().get("error").asText().contains("leads outside"));
        for (String path : List.of("..%2F..%2Fsecret.txt", "%2E%2E/%2E%2E/secret.txt", "%2Fetc%2Fpasswd", "a%5C..%5Cb")) {
            Http.Response r = http.get("/api/compare/" + id + "/files/" + path);
            assertTrue(r.status() == 400 || r.status() == 404, path + ": " + r);
            assertFalse(r.text().contains("TOP-SECRET-BYTES"), path + ": " + r);
        }
        assertEquals(404, http.get("/api/compare/" + id + "/files/nosuch.png").status());

        Http.Response none = http.get("/api/compare/" + noChecklist + "/scores");
        assertEquals(409, none.status());
        assertTrue(none.json().get("error").asText().contains("no checklist"));
        String cell = http.get("/api/compare/" + id + "/scores").json().get("images").get(0).get("id").asText();
        String[][] bad = {
                {"{\"cell\": \"nosuch\", \"scores\": {}}", "cell"},
                {"{\"scores\": {}}", "cell"},
                {"{\"cell\": \"" + cell + "\"}", "scores"},
                {"{\"cell\": \"" + cell + "\", \"scores\": {\"is a bag\": 1}}", "scores"},
                {"{\"cell\": \"" + cell + "\", \"scores\": {\"is a sneaker\": 2}}", "scores"},
                {"{\"cell\": \"" + cell + "\", \"scores\": {\"is a sneaker\": \"yes\"}}", "scores"},
        };
        for (String[] b : bad) {
            Http.Response r = http.post("/api/compare/" + id + "/scores", b[0]);
            assertEquals(400, r.status(), b[0] + ": " + r);
            assertEquals(b[1], r.json().get("field").asText(), b[0] + ": " + r);
        }
        assertFalse(Files.exists(folder.resolve("scores.csv")), "a refused score writes nothing");
        Http.Response again = http.post("/api/compare/" + id + "/cancel", "");
        assertEquals(409, again.status());
    }

    @Test
    void cancelKeepsFinishedCellsAndARerunFinishesTheRun() throws Exception {
        Http http = server.http();
        String id = http.post("/api/compare", "{\"plan\": " + plan("1-40", 400) + "}").json().get("id").asText();
        Path cells = server.data().resolve("compare").resolve(id).resolve("cells");
        while (!Files.isDirectory(cells) || fileCount(cells) < 2) {
            Thread.sleep(20);
        }
        Http.Response c = http.post("/api/compare/" + id + "/cancel", "");
        assertEquals(200, c.status(), c.toString());
        JsonNode run = await(http, id);
        assertEquals("cancelled", run.get("state").asText(), run.path("error").asText());
        int kept = fileCount(cells);
        assertTrue(kept >= 2 && kept < 80, "cells kept: " + kept);
        assertTrue(run.get("error").asText().contains("rerun to finish it"));
        Map<Path, FileTime> times = times(cells);
        assertEquals(202, http.post("/api/compare/" + id + "/rerun", "").status());
        run = await(http, id);
        assertEquals("done", run.get("state").asText(), run.path("error").asText());
        assertEquals(80, run.get("done").asInt());
        assertEquals(80, fileCount(cells));
        times.forEach((f, t) -> assertEquals(t, modified(f), f + " was not run again"));
    }

    @Test
    void aRunTheServerStoppedInResumesAtRestart(@TempDir Path data) throws Exception {
        ServerConfig config = ServerConfig.defaults(Http.fixtures(), data).withPort(0);
        String id;
        Map<Path, FileTime> times;
        Path cells;
        try (StepwiseServer first = StepwiseServer.start(config)) {
            id = new Http(first.port()).post("/api/compare", "{\"plan\": " + plan("1-40", 400) + "}").json().get("id").asText();
            cells = data.resolve("compare").resolve(id).resolve("cells");
            while (!Files.isDirectory(cells) || fileCount(cells) < 2) {
                Thread.sleep(20);
            }
        }
        times = times(cells);
        // What kill -9 leaves: the store still says running.
        try (CompareStore store = new CompareStore(data)) {
            CompareRun r = store.get(id).orElseThrow();
            store.update(r.with(Job.State.running, r.done(), r.total(), null, null, r.created(), null));
        }
        try (StepwiseServer second = StepwiseServer.start(config)) {
            Http http = new Http(second.port());
            JsonNode run = await(http, id);
            assertEquals("done", run.get("state").asText(), run.path("error").asText());
            assertTrue(run.get("note").asText().contains("resumed at restart"), run.path("note").asText());
            assertEquals(80, fileCount(cells));
            times.forEach((f, t) -> assertEquals(t, modified(f), f + " was not run again"));
            ObjectNode listed = (ObjectNode) http.get("/api/compare").json().get(0);
            assertEquals(id, listed.get("id").asText());
        }
    }

    static int fileCount(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return (int) s.filter(p -> p.toString().endsWith(".json")).count();
        }
    }

    static Map<Path, FileTime> times(Path dir) throws IOException {
        Map<Path, FileTime> out = new HashMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                out.put(p, Files.getLastModifiedTime(p));
            }
        }
        return out;
    }

    static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
