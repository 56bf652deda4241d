package dev.stepwise.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.onnx.image.PngInfo;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The ComfyUI subset against a server on an ephemeral loopback port, with ComfyUI's default graph in API format. */
class ComfyApiTest {
    @RegisterExtension
    static final TestServer server = new TestServer(c -> c.withLimits(ServerConfig.LIMITS.with("steps", 100_000)));

    static ObjectNode graph() throws IOException {
        try (InputStream in = ComfyApiTest.class.getResourceAsStream("/comfyui/default-api.json")) {
            return (ObjectNode) Http.JSON.readTree(in);
        }
    }

    static String body(JsonNode graph) {
        ObjectNode b = Http.JSON.createObjectNode();
        b.set("prompt", graph);
        b.put("client_id", "test-client");
        return b.toString();
    }

    static JsonNode history(String id) throws InterruptedException {
        long end = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < end) {
            JsonNode h = server.http().get("/history/" + id).json();
            if (h.has(id)) {
                return h.get(id);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no history for " + id);
    }

    static String view(String filename, String subfolder, String type) {
        return "/view?filename=" + URLEncoder.encode(filename, StandardCharsets.UTF_8) + "&subfolder="
                + URLEncoder.encode(subfolder, StandardCharsets.UTF_8) + "&type=" + type;
    }

    @Test
    void theDefaultGraphRunsAndItsImagesAreInHistoryAndView() throws Exception {
        ComfySocket ws = new ComfySocket(server.port(), "test-client");
        List<String> messages = ws.texts;
        Http.Response r = server.http().post("/prompt", body(graph()));
        assertEquals(200, r.status(), r.toString());
        String id = r.json().get("prompt_id").asText();
        assertTrue(r.json().get("node_errors").isEmpty());
        assertTrue(r.json().has("number"));
        JsonNode h = history(id);
        assertEquals("success", h.get("status").get("status_str").asText(), h.toString());
        assertTrue(h.get("status").get("completed").asBoolean());
        assertEquals(id, h.get("prompt").get(1).asText());
        JsonNode images = h.get("outputs").get("9").get("images");
        assertEquals(2, images.size());
        JsonNode first = images.get(0);
        assertEquals("output", first.get("type").asText());
        Http.Response img = server.http().get(view(first.get("filename").asText(), first.get("subfolder").asText(), "output"));
        assertEquals("image/png", img.contentType(), img.toString());
        String info = PngInfo.text(img.body()).get("parameters");
        assertTrue(info.startsWith("sneaker, (bag:0.5)\nNegative prompt: coat\nSteps: 4, Sampler: euler, Schedule type:"
                + " normal, CFG scale: 3, Seed: 156680208700286, Size: 28x28, Model: tiny-eps"), info);
        assertArrayEquals(Files.readAllBytes(server.data().resolve("outputs").resolve(first.get("subfolder").asText())
                .resolve(first.get("filename").asText())), img.body());
        // The websocket said so: status first, then executing, progress, executed, executing null.
        ws.await(m -> m.contains("\"executed\""));
        ws.close();
        assertTrue(messages.get(0).contains("\"type\":\"status\"") && messages.get(0).contains("\"queue_remaining\""),
                messages.toString());
        JsonNode executing = find(messages, "executing");
        assertEquals("3", executing.get("data").get("node").asText());
        JsonNode progress = find(messages, "progress");
        assertEquals(4, progress.get("data").get("max").asInt());
        assertEquals(id, progress.get("data").get("prompt_id").asText());
        JsonNode executed = find(messages, "executed");
        assertEquals("9", executed.get("data").get("node").asText());
        assertEquals(first, executed.get("data").get("output").get("images").get(0));
    }

    @Test
    void everySocketHearsTheStatusFirstWhileAPromptRuns() throws Exception {
        ObjectNode g = graph();
        ((ObjectNode) g.get("3").get("inputs")).put("steps", 100_000);
        String id = server.http().post("/prompt", body(g)).json().get("prompt_id").asText();
        try (ComfySocket watch = new ComfySocket(server.port(), "watch")) {
            assertTrue(watch.await(m -> m.contains("\"progress\"")), "the prompt never ran");
            // Progress messages go out at every step; a socket that connects now still hears the status first.
            for (int i = 0; i < 40; i++) {
                try (ComfySocket late = new ComfySocket(server.port(), "late-" + i)) {
                    assertTrue(late.await(m -> true));
                    assertTrue(late.texts.get(0).contains("\"type\":\"status\""), i + ": " + late.texts.get(0));
                }
            }
            assertEquals("{}", server.http().get("/history/" + id).json().toString(), "the prompt ran all along");
        } finally {
            server.http().post("/interrupt", "");
        }
        assertEquals("error", history(id).get("status").get("status_str").asText());
    }

    private static JsonNode find(List<String> messages, String type) throws IOException {
        for (String m : messages) {
            JsonNode j = Http.JSON.readTree(m);
            if (j.get("type").asText().equals(type)) {
                return j;
            }
        }
        throw new AssertionError("no " + type + " message in " + messages);
    }

    @Test
    void kSamplerAdvancedRunsTheWholeSchedule() throws Exception {
        ObjectNode g = graph();
        ObjectNode adv = Http.JSON.createObjectNode();
        adv.put("class_type", "KSamplerAdvanced");
        ObjectNode in = adv.putObject("inputs");
        in.put("add_noise", "enable").put("noise_seed", 5).put("steps", 3).put("cfg", 2.5).put("sampler_name", "dpmpp_2m")
                .put("scheduler", "karras").put("start_at_step", 0).put("end_at_step", 10000)
                .put("return_with_leftover_noise", "disable");
        for (String link : new String[] {"model", "positive", "negative", "latent_image"}) {
            in.set(link, g.get("3").get("inputs").get(link));
        }
        g.set("3", adv);
        String id = server.http().post("/prompt", body(g)).json().get("prompt_id").asText();
        JsonNode first = history(id).get("outputs").get("9").get("images").get(0);
        String info = PngInfo.text(server.http().get(view(first.get("filename").asText(), first.get("subfolder").asText(), "output"))
                .body()).get("parameters");
        assertTrue(info.contains("Steps: 3, Sampler: dpmpp_2m, Schedule type: karras, CFG scale: 2.5, Seed: 5,"), info);
    }

    private static JsonNode refused(JsonNode graph) {
        Http.Response r = server.http().post("/prompt", body(graph));
        assertEquals(400, r.status(), r.toString());
        NativeApiTest.assertNoStackTrace(r);
        return r.json();
    }

    @Test
    void otherNodesAndBadValuesGetComfyUIsNodeErrors() throws IOException {
        ObjectNode g = graph();
        ObjectNode lora = g.putObject("10");
        lora.put("class_type", "LoraLoader");
        lora.putObject("inputs");
        JsonNode e = refused(g);
        assertEquals("invalid_prompt", e.get("error").get("type").asText());
        assertEquals("LoraLoader", e.get("node_errors").get("10").get("class_type").asText());
        assertTrue(e.get("error").get("message").asText().startsWith("Cannot execute because node LoraLoader does not exist"));

        g = graph();
        ((ObjectNode) g.get("3").get("inputs")).put("sampler_name", "magic");
        e = refused(g);
        assertEquals("prompt_outputs_failed_validation", e.get("error").get("type").asText());
        JsonNode err = e.get("node_errors").get("3").get("errors").get(0);
        assertEquals("sampler_name", err.get("extra_info").get("input_name").asText());
        assertTrue(err.get("message").asText().contains("magic"), err.toString());
        assertEquals("KSampler", e.get("node_errors").get("3").get("class_type").asText());

        g = graph();
        ((ObjectNode) g.get("5").get("inputs")).put("width", 512);
        e = refused(g);
        assertTrue(e.get("node_errors").get("5").get("errors").get(0).get("message").asText()
                .contains("give width 28 and height 28"), e.toString());

        g = graph();
        ((ObjectNode) g.get("4").get("inputs")).put("ckpt_name", "v1-5-pruned-emaonly.safetensors");
        e = refused(g);
        assertEquals("value_not_in_list", e.get("node_errors").get("4").get("errors").get(0).get("type").asText());

        g = graph();
        ((ObjectNode) g.get("6").get("inputs")).put("text", "unicorn");
        e = refused(g);
        assertTrue(e.get("node_errors").has("6"), e.toString());

        g = graph();
        ((ObjectNode) g.get("3").get("inputs")).put("denoise", 0.5);
        e = refused(g);
        assertEquals("denoise", e.get("node_errors").get("3").get("errors").get(0).get("extra_info").get("input_name").asText());

        g = graph();
        ((ObjectNode) g.get("3").get("inputs")).set("positive", Http.JSON.readTree("[\"42\", 0]"));
        e = refused(g);
        assertEquals("required_input_missing", e.get("node_errors").get("3").get("errors").get(0).get("type").asText());

        g = graph();
        g.remove("9");
        e = refused(g);
        assertEquals("prompt_outputs_failed_validation", e.get("error").get("type").asText());

        Http.Response r = server.http().post("/prompt", "{\"prompt\": []}");
        assertEquals(400, r.status());
        assertEquals("prompt", r.json().get("field").asText());
    }

    @Test
    void viewNeverLeavesTheOutputsFolder() throws IOException {
        Path outside = Files.writeString(server.data().resolve("secret.txt"), "secret");
        Files.createDirectories(server.data().resolve("outputs").resolve("links"));
        Files.createSymbolicLink(server.data().resolve("outputs").resolve("links").resolve("out.png"), outside);
        String[][] bad = {{"../secret.txt", "", "filename"}, {"secret.txt", "..", "subfolder"},
                {"/etc/passwd", "", "filename"}, {"passwd", "/etc", "subfolder"}, {"x.png", "a/../..", "subfolder"}};
        for (String[] b : bad) {
            Http.Response r = server.http().get(view(b[0], b[1], "output"));
            assertEquals(400, r.status(), String.join(" ", b) + ": " + r);
            assertEquals(b[2], r.json().get("field").asText());
        }
        Http.Response link = server.http().get(view("out.png", "links", "output"));
        assertEquals(400, link.status(), link.toString());
        assertTrue(link.json().get("error").asText().contains("leads outside the outputs folder"));
        assertEquals(404, server.http().get(view("none.png", "", "output")).status());
        assertEquals(400, server.http().get(view("x.png", "", "input")).status());
        assertEquals(400, server.http().get("/view?subfolder=").status());
    }

    @Test
    void queueInterruptAndObjectInfo() {
        JsonNode q = server.http().get("/queue").json();
        assertTrue(q.get("queue_running").isArray() && q.get("queue_pending").isArray());
        assertEquals(200, server.http().post("/interrupt", "").status());
        JsonNode info = server.http().get("/object_info").json();
        assertEquals(7, info.size());
        JsonNode ks = info.get("KSampler");
        ArrayNode samplers = (ArrayNode) ks.get("input").get("required").get("sampler_name").get(0);
        assertTrue(samplers.toString().contains("\"dpmpp_2m\""));
        assertEquals("LATENT", ks.get("output").get(0).asText());
        assertEquals("tiny-eps", info.get("CheckpointLoaderSimple").get("input").get("required").get("ckpt_name").get(0).get(0)
                .asText());
        assertTrue(info.get("SaveImage").get("output_node").asBoolean());
        assertEquals(0, server.http().get("/prompt").json().get("status").get("exec_info").get("queue_remaining").asInt());
    }
}
