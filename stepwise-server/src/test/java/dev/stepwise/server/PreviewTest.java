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

/** The live preview of a running job: the x0 estimate of a step, natively and as A1111's current_image. */
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
        float[][] captured = new float[1][];
        Generation.Prepared p = Generation.prepare(new Generation.Settings("tiny-eps", "bag", "", "euler", Map.of(),
                ScheduleNames.resolve("karras", null), Map.of(), STEPS, 3, 9, 1), Http.fixtures(), ServerConfig.LIMITS.with("steps", STEPS));
        try (ImageModel m = ImageModel.load(p.dir())) {
            Generation.run(p, m.model(), (k, n, sigma, x, denoised) -> {
                if (k + 1 == step) {
                    captured[0] = denoised.clone();
                    throw new CancellationException("captured");
                }
            });
        } catch (CancellationException e) {
            // stopped once the step was captured
        }
        assertNotNull(captured[0], "step " + step);
        BufferedImage expected = PngWriter.image(Tensor.wrap(captured[0], 1, 1, 28, 28), 0, 1, Filter.NEAREST);
        BufferedImage got = ImageIO.read(new ByteArrayInputStream(preview.body()));
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                assertEquals(expected.getRaster().getSample(x, y, 0), got.getRaster().getSample(x, y, 0), "pixel " + x + "," + y);
            }
        }
        assertEquals(404, http.get("/api/jobs/" + id + "/preview").status(), "no preview once the job has stopped");
    }
}
