package dev.stepwise.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.onnx.image.PngInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The A1111 subset against a server on an ephemeral loopback port, with the payload shapes A1111 clients send. */
class A1111ApiTest {
    @RegisterExtension
    static final TestServer server = new TestServer();

    static ObjectNode fixture() throws IOException {
        try (InputStream in = A1111ApiTest.class.getResourceAsStream("/a1111/txt2img.json")) {
            return (ObjectNode) Http.JSON.readTree(in);
        }
    }

    @Test
    void txt2imgWithAFullClientPayload() throws IOException {
        ObjectNode body = fixture();
        Http.Response r = server.http().post("/sdapi/v1/txt2img", body.toString());
        assertEquals(200, r.status(), r.toString());
        JsonNode j = r.json();
        assertEquals(4, j.get("images").size());   // batch_size 2 x n_iter 2
        JsonNode info = Http.JSON.readTree(j.get("info").asText());   // a JSON string, as A1111 writes it
        long seed = info.get("seed").asLong();
        assertTrue(seed >= 0, info.toString());
        assertEquals(seed, j.get("parameters").get("seed").asLong());
        assertEquals("DPM++ 2M", j.get("parameters").get("sampler_name").asText());
        assertEquals(4, info.get("all_seeds").size());
        assertEquals(seed + 2, info.get("all_seeds").get(2).asLong());
        assertEquals("(sneaker:1.2), bag", info.get("prompt").asText());
        assertEquals("coat", info.get("all_negative_prompts").get(3).asText());
        assertEquals(28, info.get("width").asInt());
        assertEquals("tiny-eps", info.get("sd_model_name").asText());
        for (int i = 0; i < 4; i++) {
            byte[] png = Base64.getDecoder().decode(j.get("images").get(i).asText());
            String text = PngInfo.text(png).get("parameters");
            assertEquals(info.get("infotexts").get(i).asText(), text);
            assertTrue(text.startsWith("(sneaker:1.2), bag\nNegative prompt: coat\nSteps: 4, Sampler: dpmpp_2m, Schedule type:"
                    + " karras, CFG scale: 3, Seed: " + (seed + (i / 2) * 2) + ", Size: 28x28, Model: tiny-eps"), text);
        }
    }

    @Test
    void oldKarrasNamesAndAliasesMapToTheRegistry() {
        Http.Response r = server.http().post("/sdapi/v1/txt2img", "{\"prompt\": \"bag\", \"seed\": 5, \"steps\": 2, \"sampler_name\":"
                + " \"DPM++ 2M Karras\", \"override_settings\": {\"sd_model_checkpoint\": \"tiny-eps\"}}");
        assertEquals(200, r.status(), r.toString());
        String infotext = infotext(r);
        assertTrue(infotext.contains("Sampler: dpmpp_2m, Schedule type: karras, CFG scale: 7, Seed: 5,"), infotext);
        r = server.http().post("/sdapi/v1/txt2img", "{\"seed\": 5, \"steps\": 2, \"sampler_index\": \"k_euler_a\", \"scheduler\":"
                + " \"sgm_uniform\", \"override_settings\": {\"sd_model_checkpoint\": \"tiny-eps\"}}");
        assertTrue(infotext(r).contains("Sampler: euler_ancestral, Schedule type: sgm_uniform,"), infotext(r));
    }

    @Test
    void automaticIsTheLabelsOwnScheduler() {
        // sd_samplers_kdiffusion.py: "DPM++ 2M" carries 'scheduler': 'karras', which "Automatic" picks; "Euler" has none
        Http.Response r = server.http().post("/sdapi/v1/txt2img", "{\"seed\": 5, \"steps\": 2, \"sampler_name\": \"DPM++ 2M\","
                + " \"scheduler\": \"Automatic\", \"override_settings\": {\"sd_model_checkpoint\": \"tiny-eps\"}}");
        assertTrue(infotext(r).contains("Sampler: dpmpp_2m, Schedule type: karras,"), infotext(r));
        r = server.http().post("/sdapi/v1/txt2img", "{\"seed\": 5, \"steps\": 2, \"sampler_name\": \"Euler\","
                + " \"override_settings\": {\"sd_model_checkpoint\": \"tiny-eps\"}}");
        assertTrue(infotext(r).contains("Sampler: euler, Schedule type: normal,"), infotext(r));
    }

    private static String infotext(Http.Response r) {
        byte[] png = Base64.getDecoder().decode(r.json().get("images").get(0).asText());
        return PngInfo.text(png).get("parameters");
    }

    static Stream<Arguments> badTxt2img() {
        return Stream.of(
                Arguments.of("{\"width\": 512, \"height\": 512}", "width",
                        "size 512x512 is not allowed; the model tiny-eps makes 28x28 images: give width 28 and height 28"),
                Arguments.of("{\"height\": 64}", "height", "give width 28 and height 28"),
                Arguments.of("{\"sampler_name\": \"Magic\"}", "sampler_name", "sampler_name 'Magic' is not a sampler here; allowed: DPM++ 2M,"),
                Arguments.of("{\"scheduler\": \"Polyexponential\"}", "scheduler", "scheduler 'Polyexponential' is not a scheduler here; allowed: Automatic, Karras"),
                Arguments.of("{\"enable_hr\": true}", "enable_hr", "enable_hr true is not supported here; allowed: false"),
                Arguments.of("{\"steps\": 0}", "steps", "steps 0 is not allowed"),
                Arguments.of("{\"batch_size\": 100}", "batch", "batch 100 is not allowed; batch must be in 1..64"),
                Arguments.of("{\"cfg_scale\": \"high\"}", "cfg_scale", "cfg_scale must be a number"),
                Arguments.of("{\"prompt\": \"unicorn\"}", "prompt", "prompt: "),
                Arguments.of("{\"override_settings\": {\"sd_model_checkpoint\": \"sd_xl_base_1.0\"}}",
                        "override_settings.sd_model_checkpoint", "is not a model here; allowed: tiny-eps, tiny-flow"));
    }

    @ParameterizedTest
    @MethodSource("badTxt2img")
    void badTxt2imgGets400NamingTheField(String fields, String field, String message) throws IOException {
        ObjectNode body = (ObjectNode) Http.JSON.readTree("{\"override_settings\": {\"sd_model_checkpoint\": \"tiny-eps\"}}");
        body.setAll((ObjectNode) Http.JSON.readTree(fields));
        Http.Response r = server.http().post("/sdapi/v1/txt2img", body.toString());
        assertEquals(400, r.status(), r.toString());
        assertEquals(field, r.json().get("field").asText(), r.toString());
        assertTrue(r.json().get("error").asText().contains(message), r.toString());
        NativeApiTest.assertNoStackTrace(r);
    }

    @Test
    void samplersSchedulersAndModelsInA1111sShapes() {
        JsonNode samplers = server.http().get("/sdapi/v1/samplers").json();
        JsonNode euler = samplers.get(6);
        assertEquals("Euler a", euler.get("name").asText());
        assertEquals("k_euler_a", euler.get("aliases").get(0).asText());
        assertTrue(euler.get("options").isObject() && euler.get("options").isEmpty());
        assertEquals("karras", samplers.get(0).get("options").get("scheduler").asText());   // DPM++ 2M
        JsonNode schedulers = server.http().get("/sdapi/v1/schedulers").json();
        JsonNode karras = schedulers.get(1);
        assertEquals("karras", karras.get("name").asText());
        assertEquals("Karras", karras.get("label").asText());
        assertEquals(7.0, karras.get("default_rho").asDouble());
        assertTrue(karras.get("aliases").isNull());
        assertEquals("SGMUniform", schedulers.get(3).get("aliases").get(0).asText());
        JsonNode models = server.http().get("/sdapi/v1/sd-models").json();
        assertEquals(2, models.size());
        assertEquals("tiny-eps", models.get(0).get("title").asText());
        assertEquals("tiny-eps", models.get(0).get("model_name").asText());
        assertTrue(models.get(0).has("sha256") && models.get(0).has("filename") && models.get(0).has("config"));
    }

    @Test
    void optionsSetTheCheckpointThatTxt2imgUses(@TempDir Path other) throws IOException {
        try (StepwiseServer s = StepwiseServer.start(ServerConfig.defaults(Http.fixtures(), other).withPort(0))) {
            Http h = new Http(s.port());
            assertEquals("fashion-eps", h.get("/sdapi/v1/options").json().get("sd_model_checkpoint").asText());
            Http.Response bad = h.post("/sdapi/v1/options", "{\"sd_model_checkpoint\": \"nope\"}");
            assertEquals(400, bad.status());
            assertEquals("sd_model_checkpoint", bad.json().get("field").asText());
            assertEquals(200, h.post("/sdapi/v1/options", "{\"sd_model_checkpoint\": \"tiny-flow [0123abcd]\","
                    + " \"CLIP_stop_at_last_layers\": 2}").status());
            assertEquals("tiny-flow", h.get("/sdapi/v1/options").json().get("sd_model_checkpoint").asText());
            Http.Response r = h.post("/sdapi/v1/txt2img", "{\"prompt\": \"coat\", \"steps\": 2, \"seed\": 1}");
            assertEquals(200, r.status(), r.toString());
            assertTrue(infotext(r).endsWith("Model: tiny-flow"), infotext(r));
        }
    }

    @Test
    void progressAndInterruptWhenIdle() {
        JsonNode p = server.http().get("/sdapi/v1/progress").json();
        assertEquals(0.0, p.get("progress").asDouble());
        assertTrue(p.has("eta_relative") && p.get("current_image").isNull() && p.get("textinfo").isNull());
        assertEquals(0, p.get("state").get("sampling_steps").asInt());
        assertFalse(p.get("state").get("interrupted").asBoolean());
        Http.Response r = server.http().post("/sdapi/v1/interrupt", "");
        assertEquals(200, r.status(), r.toString());
    }

    @Test
    void pngInfoReadsTheInfotextBack() {
        Http.Response gen = server.http().post("/api/generate", "{\"model\": \"tiny-eps\", \"prompt\": \"bag\", \"negative\": \"coat\","
                + " \"steps\": 2, \"seed\": 3, \"scale\": 1}");
        String b64 = Base64.getEncoder().encodeToString(gen.body());
        for (String image : new String[] {b64, "data:image/png;base64," + b64}) {
            Http.Response r = server.http().post("/sdapi/v1/png-info", "{\"image\": \"" + image + "\"}");
            assertEquals(200, r.status(), r.toString());
            JsonNode j = r.json();
            assertEquals("bag\nNegative prompt: coat\nSteps: 2, Sampler: dpmpp_2m, Schedule type: karras, CFG scale: 3,"
                    + " Seed: 3, Size: 28x28, Model: tiny-eps", j.get("info").asText());
            assertEquals("coat", j.get("parameters").get("Negative prompt").asText());
            assertEquals("2", j.get("parameters").get("Steps").asText());
            assertEquals("28", j.get("parameters").get("Size-1").asText());
            assertTrue(j.get("items").isObject());
        }
        String notPng = Base64.getEncoder().encodeToString("hello".getBytes(StandardCharsets.US_ASCII));
        for (String[] bad : new String[][] {{"{\"image\": \"@@@\"}", "image is not valid base64"},
                {"{\"image\": \"" + notPng + "\"}", "image: not a PNG image"}, {"{\"image\": \"\"}", "image is empty"},
                {"{\"img\": \"x\"}", "unknown field 'img'; allowed: image"}}) {
            Http.Response r = server.http().post("/sdapi/v1/png-info", bad[0]);
            assertEquals(400, r.status(), r.toString());
            assertTrue(r.json().get("error").asText().contains(bad[1]), r.toString());
        }
    }
}
