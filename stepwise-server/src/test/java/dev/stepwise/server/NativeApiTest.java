package dev.stepwise.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.harness.Generation;
import dev.stepwise.harness.ScheduleNames;
import dev.stepwise.onnx.ImageModel;
import dev.stepwise.onnx.image.Filter;
import dev.stepwise.onnx.image.PngInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The native API against a server on an ephemeral loopback port, on the tiny fixture models. */
class NativeApiTest {
    @RegisterExtension
    static final TestServer server = new TestServer();

    @Test
    void samplersListTheRegistryWithItsFacts() {
        Http.Response r = server.http().get("/api/samplers");
        assertEquals(200, r.status(), r.toString());
        JsonNode list = r.json();
        assertEquals(Samplers.all().size(), list.size());
        JsonNode dpmpp = find(list, "dpmpp_2m");
        assertEquals(2, dpmpp.get("order").asInt());
        assertEquals(1, dpmpp.get("calls_per_step").asInt());
        assertFalse(dpmpp.get("stochastic").asBoolean());
        JsonNode heun = find(list, "heun");
        assertEquals("2 (1 last)", heun.get("calls").asText());
        JsonNode ancestral = find(list, "euler_ancestral");
        assertTrue(ancestral.get("stochastic").asBoolean());
        assertEquals("eta", ancestral.get("parameters").get(0).get("name").asText());
        assertEquals("1", ancestral.get("parameters").get(0).get("default").asText());
    }

    @Test
    void schedulersAndModels() {
        JsonNode schedulers = server.http().get("/api/schedulers").json();
        assertEquals(Schedulers.all().size(), schedulers.size());
        assertEquals("rho", find(schedulers, "karras").get("parameters").get(0).get("name").asText());
        JsonNode models = server.http().get("/api/models").json();
        JsonNode eps = find(models, "tiny-eps");
        assertEquals(28, eps.get("width").asInt());
        assertEquals("eps", eps.get("prediction").asText());
        assertEquals("sneaker", eps.get("classes").get(7).asText());
        assertNotNull(find(models, "tiny-flow"));
    }

    static JsonNode find(JsonNode list, String name) {
        for (JsonNode n : list) {
            if (n.get("name").asText().equals(name)) {
                return n;
            }
        }
        throw new AssertionError(name + " not in " + list);
    }

    /** What the library (and so stepwise generate) makes of the same settings: the server must return these bytes. */
    static byte[] direct(String prompt, int steps, long seed, int batch, int index, int scale) throws IOException {
        Generation.Settings s = new Generation.Settings("tiny-eps", prompt, "", "dpmpp_2m", Map.of(),
                ScheduleNames.resolve("karras", null), Map.of(), steps, 3, seed, batch);
        Generation.Prepared p = Generation.prepare(s, Http.fixtures(), ServerConfig.LIMITS);
        try (ImageModel m = ImageModel.load(p.dir())) {
            return Generation.run(p, m.model(), (a, b, c, d, e) -> {
            }).png(index, scale, Filter.NEAREST);
        }
    }

    @Test
    void generateReturnsThePngTheLibraryMakes() throws IOException {
        Http.Response r = server.http().post("/api/generate", "{\"model\": \"tiny-eps\", \"prompt\": \"sneaker\", \"steps\": 4,"
                + " \"seed\": 42, \"scale\": 2}");
        assertEquals(200, r.status(), r.toString());
        assertEquals("image/png", r.contentType());
        var img = ImageIO.read(new ByteArrayInputStream(r.body()));
        assertEquals(56, img.getWidth());
        assertEquals("sneaker\nSteps: 4, Sampler: dpmpp_2m, Schedule type: karras, CFG scale: 3, Seed: 42, Size: 28x28,"
                + " Model: tiny-eps", PngInfo.text(r.body()).get("parameters"));
        assertEquals(java.util.HexFormat.of().formatHex(direct("sneaker", 4, 42, 1, 0, 2)),
                java.util.HexFormat.of().formatHex(r.body()));
    }

    @Test
    void generateAsJsonGivesEveryImageOfTheBatchAndTheSeedUsed() throws IOException {
        Http.Response r = server.http().post("/api/generate", "{\"model\": \"tiny-eps\", \"prompt\": \"bag\", \"steps\": 3,"
                + " \"seed\": -1, \"batch\": 2, \"scale\": 1, \"format\": \"json\"}");
        assertEquals(200, r.status(), r.toString());
        JsonNode j = r.json();
        long seed = j.get("parameters").get("seed").asLong();
        assertTrue(seed >= 0 && seed < (1L << 32), "seed " + seed);
        assertEquals(2, j.get("images").size());
        for (int i = 0; i < 2; i++) {
            byte[] png = Base64.getDecoder().decode(j.get("images").get(i).asText());
            String info = PngInfo.text(png).get("parameters");
            assertTrue(info.contains("Seed: " + seed + ","), info);
            assertTrue(info.endsWith("Batch size: 2, Batch pos: " + i), info);
            assertEquals(info, j.get("infotexts").get(i).asText());
            assertEquals(java.util.HexFormat.of().formatHex(direct("bag", 3, seed, 2, i, 1)),
                    java.util.HexFormat.of().formatHex(png));
        }
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                Arguments.of("{\"step\": 4}", "step", "unknown field 'step'; allowed: batch, cfg, denoise, filter, format, init_image"),
                Arguments.of("{\"steps\": 0}", "steps", "steps 0 is not allowed; steps must be in 1.."),
                Arguments.of("{\"steps\": \"ten\"}", "steps", "steps must be a whole number"),
                Arguments.of("{\"steps\": 5000}", "steps", "steps 5000 is over the limit of 1000 steps; raise it with stepwise serve --limit steps=5000"),
                Arguments.of("{\"batch\": 65, \"format\": \"json\"}", "batch", "batch 65 is not allowed; batch must be in 1..64"),
                Arguments.of("{\"model\": \"tiny-eps\", \"batch\": 8, \"iterations\": 9, \"format\": \"json\"}", "iterations", "batch x iterations = 72 images is over the limit of 64"),
                Arguments.of("{\"cfg\": 1000}", "cfg", "cfg 1000.0 is not allowed; cfg must be in [0, 100]"),
                Arguments.of("{\"sampler\": \"nope\"}", "sampler", "nope"),
                Arguments.of("{\"sampler_parameters\": {\"eta\": 0.5}}", "sampler", "eta"),
                Arguments.of("{\"scheduler\": \"file:/etc/passwd\"}", "scheduler", "the server takes registry schedulers only"),
                Arguments.of("{\"scheduler\": \"nope\"}", "scheduler", "nope"),
                Arguments.of("{\"model\": \"../tiny-eps\"}", "model", "give a model name"),
                Arguments.of("{\"model\": \"/etc\"}", "model", "give a model name"),
                Arguments.of("{\"model\": \"missing\"}", "model", "model 'missing' is not a model; available models: tiny-eps, tiny-flow"),
                Arguments.of("{\"model\": \"tiny-eps\", \"prompt\": \"unicorn\"}", "prompt", "prompt: "),
                Arguments.of("{\"model\": \"tiny-eps\", \"negative\": \"(bag:x)\"}", "negative", "negative: "),
                Arguments.of("{\"format\": \"gif\"}", "format", "format \"gif\" is not allowed; allowed: png, json"),
                Arguments.of("{\"batch\": 2}", "format", "format png returns one image, but batch x iterations = 2"),
                Arguments.of("{\"scale\": 65}", "scale", "scale 65 is not allowed; scale must be in 1..64"),
                Arguments.of("{\"filter\": \"cubic\"}", "filter", "filter: "),
                Arguments.of("{\"seed\": -2}", "seed", "seed -2 is not allowed"),
                Arguments.of("[1, 2]", null, "the body must be a JSON object"),
                Arguments.of("{\"steps\": ", null, "the body is not valid JSON"),
                Arguments.of("", null, "the request has no body"));
    }

    @ParameterizedTest
    @MethodSource("badRequests")
    void badRequestsGet400NamingTheField(String body, String field, String message) {
        Http.Response r = server.http().post("/api/generate", body);
        assertEquals(400, r.status(), r.toString());
        assertEquals("application/json", r.contentType());
        JsonNode j = r.json();
        assertEquals(field, j.has("field") ? j.get("field").asText() : null, r.toString());
        assertTrue(j.get("error").asText().contains(message), r.toString());
        assertNoStackTrace(r);
        // The same body queued as a job is refused the same way, before anything is queued.
        if (!body.contains("format")) {
            assertEquals(400, server.http().post("/api/jobs", body).status());
        }
    }

    static void assertNoStackTrace(Http.Response r) {
        String t = r.text();
        assertFalse(t.contains("\tat ") || t.contains("Exception") || t.contains(".java:"), t);
        // nor the server's own folders
        assertFalse(t.contains(Http.fixtures().toString()), t);
    }

    @Test
    void oversizedBodiesAndUnknownEndpointsGetJson() {
        byte[] big = new byte[(int) ServerConfig.MAX_BODY + 10];
        java.util.Arrays.fill(big, (byte) ' ');
        Http.Response r = server.http().post("/api/generate", big);
        assertEquals(413, r.status(), r.toString());
        assertTrue(r.json().get("error").asText().contains("over the limit of " + ServerConfig.MAX_BODY + " bytes"));
        Http.Response missing = server.http().get("/api/nope");
        assertEquals(404, missing.status());
        assertTrue(missing.json().get("error").asText().contains("no such endpoint: GET /api/nope"), missing.toString());
    }

    @Test
    void jobsQueueRunAndKeepTheirImages() throws InterruptedException {
        Http.Response r = server.http().post("/api/jobs", "{\"model\": \"tiny-flow\", \"prompt\": \"coat\", \"steps\": 3, \"seed\": 7,"
                + " \"batch\": 2, \"iterations\": 2}");
        assertEquals(202, r.status(), r.toString());
        String id = r.json().get("id").asText();
        JsonNode job = waitFor(server.http(), id);
        assertEquals("done", job.get("state").asText(), job.toString());
        assertEquals(4, job.get("images").size());
        // iteration 2 runs with seed 7 + 1 x batch
        assertTrue(job.get("infotexts").get(2).asText().contains("Seed: 9,"), job.toString());
        Http.Response img = server.http().get(job.get("images").get(3).asText());
        assertEquals("image/png", img.contentType());
        assertEquals(job.get("infotexts").get(3).asText(), PngInfo.text(img.body()).get("parameters"));
        assertEquals(404, server.http().get("/api/jobs/" + id + "/images/5").status());
        assertEquals(404, server.http().get("/api/jobs/" + id + "/images/x").status());
        Http.Response cancel = server.http().post("/api/jobs/" + id + "/cancel", "");
        assertEquals(409, cancel.status(), cancel.toString());
        assertEquals(404, server.http().get("/api/jobs/nope").status());
        List<String> ids = new ArrayList<>();
        server.http().get("/api/jobs").json().forEach(j -> ids.add(j.get("id").asText()));
        assertTrue(ids.contains(id));
        JsonNode queue = server.http().get("/api/queue").json();
        assertEquals(ServerConfig.QUEUE, queue.get("capacity").asInt());
    }

    static JsonNode waitFor(Http http, String id) throws InterruptedException {
        long end = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < end) {
            JsonNode j = http.get("/api/jobs/" + id).json();
            String state = j.get("state").asText();
            if (!state.equals("queued") && !state.equals("running")) {
                return j;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("job " + id + " did not finish");
    }

    @Test
    void openApiDescribesExactlyTheRoutes() {
        JsonNode doc = server.http().get("/openapi.json").json();
        TreeSet<String> described = new TreeSet<>();
        for (Map.Entry<String, JsonNode> e : doc.get("paths").properties()) {
            e.getValue().fieldNames().forEachRemaining(m -> described.add(m.toUpperCase(java.util.Locale.ROOT) + " " + e.getKey()));
        }
        assertEquals(new TreeSet<>(server.routes()), described);
    }

    @Test
    void anotherAddressNeedsAuth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ServerConfig("0.0.0.0", 0, server.data(), server.data(), null, ServerConfig.LIMITS, 1, 1000));
        assertEquals("--listen 0.0.0.0 is not a loopback address: listening on it needs --api-auth USER:PASSWORD (basic"
                + " auth on every request)", e.getMessage());
        assertTrue(ServerConfig.isLoopback("127.0.0.1") && ServerConfig.isLoopback("::1") && ServerConfig.isLoopback("localhost"));
        assertFalse(ServerConfig.isLoopback("example.com"));
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.defaults(server.data(), server.data()).withAuth("nopassword"));
    }

    @Test
    void basicAuthGuardsEveryRequest(@TempDir Path other) throws IOException {
        try (StepwiseServer s = StepwiseServer.start(ServerConfig.defaults(Http.fixtures(), other).withPort(0)
                .withAuth("ann:secret"))) {
            Http.Response none = new Http(s.port()).get("/api/samplers");
            assertEquals(401, none.status());
            assertTrue(none.json().get("error").asText().contains("basic auth"));
            assertEquals(401, new Http(s.port(), "ann:wrong").get("/sdapi/v1/samplers").status());
            assertEquals(200, new Http(s.port(), "ann:secret").get("/api/samplers").status());
        }
    }
}
