package dev.stepwise.onnx.sd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.image.InitImage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole text-to-image pipeline (tokenizer, text encoders, ComfyUI noise and timesteps, CFG, sampler, VAE) against
 * tools/sd/reference.py, an independent torch pipeline written from ComfyUI's conventions that runs the same tiny
 * networks: final latent and decoded pixels for euler, euler_ancestral and dpmpp_2m on SD1 and SDXL.
 */
class SdReferenceTest {
    static List<JsonNode> cases() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        new ObjectMapper().readTree(dir().resolve("cases.json").toFile()).forEach(out::add);
        return out;
    }

    static Path dir() {
        return SdModelTest.fixture("reference");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void latentAndPixelsMatchTheTorchReference(JsonNode c) throws IOException {
        String stem = c.get("stem").asText();
        Tensor latent = Npy.read(dir().resolve(stem + "-latent.npy"));
        Tensor pixels = Npy.read(dir().resolve(stem + "-pixels.npy"));
        try (SdModel sd = SdModelTest.load(c.get("family").asText())) {
            SampleResult r = Stepwise.sample(SampleRequest.builder(sd.model(c.get("width").asInt(), c.get("height").asInt()))
                    .sampler(c.get("sampler").asText()).scheduler(c.get("scheduler").asText())
                    .steps(c.get("steps").asInt()).cfg(c.get("cfg").asDouble()).seed(c.get("seed").asLong())
                    .prompt(sd.promptEncoder().encode(c.get("prompt").asText()))
                    .negative(sd.promptEncoder().encode(c.get("negative").asText()))
                    .build());
            assertEquals(c.get("calls").asInt(), r.calls().nfe());
            assertArrayEquals(latent.shape(), r.samples().shape());
            // relative to the largest value: 1e-5 for float32 (float noise of torch vs ONNX Runtime kernels and of
            // the randn, measured up to 1.1e-6), 2e-3 for float16 sessions (measured 3.4e-4); cases.json says
            double tolerance = c.get("tolerance").asDouble();
            assertClose(stem + " latent", latent.data(), r.samples().data(), tolerance);
            Tensor px = sd.vae().decode(r.samples(), 0);
            assertArrayEquals(pixels.shape(), px.shape());
            assertClose(stem + " pixels", pixels.data(), px.data(), tolerance);
        }
    }

    static List<JsonNode> img2imgCases() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        new ObjectMapper().readTree(dir().resolve("img2img.json").toFile()).forEach(out::add);
        return out;
    }

    /** img2img: the PNG read and VAE-encoded (mean), noised to the first sigma of the denoise schedule's tail. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("img2imgCases")
    void img2imgMatchesTheTorchReference(JsonNode c) throws IOException {
        String stem = c.get("stem").asText();
        Tensor latent = Npy.read(dir().resolve(stem + "-latent.npy"));
        Tensor pixels = Npy.read(dir().resolve(stem + "-pixels.npy"));
        int w = c.get("width").asInt(), h = c.get("height").asInt();
        try (SdModel sd = SdModelTest.load(c.get("family").asText())) {
            BufferedImage init = InitImage.resize(InitImage.read(dir().resolve(c.get("init").asText())), w, h,
                    InitImage.ResizeMode.JUST);
            Tensor start = sd.vaeEncoder().encode(InitImage.pixels(init));
            SampleResult r = Stepwise.sample(SampleRequest.builder(sd.model(w, h))
                    .sampler(c.get("sampler").asText()).scheduler(c.get("scheduler").asText())
                    .steps(c.get("steps").asInt()).denoise(c.get("denoise").asDouble()).latentImage(start)
                    .cfg(c.get("cfg").asDouble()).seed(c.get("seed").asLong())
                    .prompt(sd.promptEncoder().encode(c.get("prompt").asText()))
                    .negative(sd.promptEncoder().encode(c.get("negative").asText()))
                    .build());
            assertEquals(c.get("calls").asInt(), r.calls().nfe());
            double tolerance = c.get("tolerance").asDouble();
            assertClose(stem + " latent", latent.data(), r.samples().data(), tolerance);
            assertClose(stem + " pixels", pixels.data(), sd.vae().decode(r.samples(), 0).data(), tolerance);
        }
    }

    static void assertClose(String what, float[] expected, float[] actual, double tolerance) {
        double worst = 0, scale = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        assertTrue(worst <= tolerance * Math.max(1, scale), what + ": max |diff| " + worst + " for values up to " + scale);
    }
}
