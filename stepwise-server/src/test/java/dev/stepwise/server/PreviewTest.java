package dev.stepwise.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepwise.harness.Generation;
import dev.stepwise.harness.ScheduleNames;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.ImageModel;
import dev.stepwise.onnx.image.Filter;
import dev.stepwise.onnx.image.PngWriter;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CancellationException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The live preview of a running job: the x0 estimate of a step, natively, as A1111's current_image and on ComfyUI's websocket. */
class PreviewTest {
    static final int STEPS = 20_000;

    @RegisterExtension
    static final TestServer server = new TestServer(c -> c.withLimits(ServerConfig.LIMITS.with("steps", STEPS)));

    @Test
    void aRunningJobShowsTheX0EstimateOfItsLatestStep() throws Exception {
        Http http = server.http();
        String id = http.post("/api/jobs", "{\"model\": \"tiny-eps\", \"prompt\": \"bag\", \"sampler\": \"euler\", \"steps\": "
                + STEPS + ", \"seed\": 9}").json().get("id").asText();
        Http.Response preview = null;
        JsonNode a1111 = null;
        for (int i = 0; i < 2000 && (preview == null || a1111 == null); i++) {
            JsonNode job = http.get("/api/jobs/" + id).json();
            if (job.has("preview") && preview == null) {
                preview = http.get("/api/jobs/" + id + "/preview");
            }
            JsonNode progress = http.get("/sdapi/v1/progress").json();
            if (!progress.get("current_image").isNull()) {
                a1111 = progress;
                assertTrue(http.get("/sdapi/v1/progress?skip_current_image=true").json().get("current_image").isNull());
            }
            Thread.sleep(5);
        }
        http.post("/api/jobs/" + id + "/cancel", "");
        assertNotNull(preview, "no preview while the job ran");
        assertNotNull(a1111, "no current_image while the job ran");
        assertEquals(200, preview.status(), preview.toString());
        assertEquals("image/png", preview.contentType());
        BufferedImage current = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(a1111.get("current_image").asText())));
        assertEquals(28, current.getWidth());

        // The step the preview was drawn after, made directly: the denoised estimate the sampler gave at that step.
        int step = Integer.parseInt(preview.header("X-Stepwise-Step"));
        BufferedImage expected = estimate(new Generation.Settings("tiny-eps", "bag", "", "euler", Map.of(),
                ScheduleNames.resolve("karras", null), Map.of(), STEPS, 3, 9, 1), step);
        BufferedImage got = ImageIO.read(new ByteArrayInputStream(preview.body()));
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                assertEquals(expected.getRaster().getSample(x, y, 0), got.getRaster().getSample(x, y, 0), "pixel " + x + "," + y);
            }
        }
        assertEquals(404, http.get("/api/jobs/" + id + "/preview").status(), "no preview once the job has stopped");
    }

    /** The x0 estimate of the {@code step}th step of a generate run, as the preview draws it. */
    private static BufferedImage estimate(Generation.Settings settings, int step) throws Exception {
        float[][] captured = new float[1][];
        Generation.Prepared p = Generation.prepare(settings, Http.fixtures(), ServerConfig.LIMITS.with("steps", STEPS));
        try (ImageModel m = ImageModel.load(p.dir())) {
            Generation.run(p, m.model(), (k, n, sigma, x, denoised) -> {
                if (k + 1 == step) {
                    captured[0] = java.util.Arrays.copyOf(denoised, 28 * 28);
                    throw new CancellationException("captured");
                }
            });
        } catch (CancellationException e) {
            // stopped once the step was captured
        }
        assertNotNull(captured[0], "step " + step);
        return PngWriter.image(Tensor.wrap(captured[0], 1, 1, 28, 28), 0, 1, Filter.NEAREST);
    }

    @Test
    void aPromptsPreviewsGoToTheComfyWebsocketAsBinaryFrames() throws Exception {
        try (ComfySocket ws = new ComfySocket(server.port(), "preview-client")) {
            Http.Response r = server.http().post("/prompt", ComfyApiTest.body(ComfyApiTest.graph()));
            assertEquals(200, r.status(), r.toString());
            assertTrue(ws.await(m -> m.contains("\"executed\"")), ws.texts.toString());
            assertTrue(!ws.binaries.isEmpty(), "no binary frame");
            // ComfyUI's frame: event type PREVIEW_IMAGE (1), image type PNG (2), each a 4-byte big-endian number,
            // then the image.
            java.nio.ByteBuffer frame = java.nio.ByteBuffer.wrap(ws.binaries.get(0));
            assertEquals(1, frame.getInt());
            assertEquals(2, frame.getInt());
            BufferedImage got = ImageIO.read(new ByteArrayInputStream(ws.binaries.get(0), 8, frame.remaining()));
            assertNotNull(got, "not a PNG");
            // The first preview is drawn after the first step: the default graph's settings (ComfyUI's default
            // workflow: euler, normal, 4 steps, cfg 3, its seed, batch 2), made directly.
            BufferedImage expected = estimate(new Generation.Settings("tiny-eps", "sneaker, (bag:0.5)", "coat", "euler",
                    Map.of(), ScheduleNames.resolve("normal", null), Map.of(), 4, 3, 156680208700286L, 2), 1);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    assertEquals(expected.getRaster().getSample(x, y, 0), got.getRaster().getSample(x, y, 0), "pixel " + x + "," + y);
                }
            }
        }
    }
}
