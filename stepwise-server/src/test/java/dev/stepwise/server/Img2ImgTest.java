package dev.stepwise.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.ImageModel;
import dev.stepwise.onnx.image.PngInfo;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** img2img: A1111's /sdapi/v1/img2img with a full client payload, and the native API's init_image. */
class Img2ImgTest {
    @RegisterExtension
    static final TestServer server = new TestServer();

    /** A 28 x 28 gray test pattern: a diagonal ramp. */
    static BufferedImage pattern() {
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int v = (x + y) * 255 / 54;
                img.getRaster().setSample(x, y, 0, v);
            }
        }
        return img;
    }

    static String base64(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    static ObjectNode fixture() throws IOException {
        try (InputStream in = Img2ImgTest.class.getResourceAsStream("/a1111/img2img.json")) {
            ObjectNode n = (ObjectNode) Http.JSON.readTree(in);
            n.putArray("init_images").add(base64(pattern()));
            return n;
        }
    }

    static int gray(BufferedImage img, int x, int y) {
        return img.getRaster().getSample(x, y, 0);
    }

    @Test
    void img2imgIsTheLibrarysRunFromTheInitImage() throws IOException {
        Http.Response r = server.http().post("/sdapi/v1/img2img", fixture().toString());
        assertEquals(200, r.status(), r.toString());
        JsonNode j = r.json();
        assertEquals(1, j.get("images").size());
        assertTrue(j.get("parameters").get("init_images").isNull(), "A1111 leaves the init images out of parameters");
        JsonNode info = Http.JSON.readTree(j.get("info").asText());
        assertEquals(0.5, info.get("denoising_strength").asDouble());
        assertEquals(5, info.get("seed").asLong());
        byte[] png = Base64.getDecoder().decode(j.get("images").get(0).asText());
        assertEquals("sneaker\nSteps: 4, Sampler: euler, Schedule type: karras, CFG scale: 3, Seed: 5, Size: 28x28,"
                + " Model: tiny-eps, Denoising strength: 0.5", PngInfo.text(png).get("parameters"));

        // The same run made directly: the pattern's bytes as the fixture's pixels (v / 127.5 - 1, pixel_range [-1, 1])
        // noised to the first sigma of int(4 / 0.5) = 8 karras steps, then the last 4 of them (ComfyUI's rule).
        float[] latent = new float[28 * 28];
        BufferedImage init = pattern();
        for (int i = 0; i < latent.length; i++) {
            latent[i] = gray(init, i % 28, i / 28) / 127.5f - 1f;
        }
        Tensor direct;
        try (ImageModel m = ImageModel.load(Http.fixtures().resolve("tiny-eps"))) {
            direct = Stepwise.sample(SampleRequest.builder(m.model()).sampler("euler").scheduler("karras").steps(4)
                    .denoise(0.5).latentImage(Tensor.wrap(latent, 1, 1, 28, 28)).cfg(3).seed(5).batch(1)
                    .prompt(Conditioning.label(7, 10)).build()).samples();
        }
        BufferedImage got = ImageIO.read(new ByteArrayInputStream(png));
        BufferedImage expected = dev.stepwise.onnx.image.PngWriter.image(direct, 0, 1, dev.stepwise.onnx.image.Filter.NEAREST);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                assertEquals(expected.getRaster().getSample(x, y, 0), gray(got, x, y), "pixel " + x + "," + y);
            }
        }
    }

    /** A small denoising strength walks only the last, small sigmas: the image stays close to the input. */
    @Test
    void aSmallDenoiseKeepsTheInitImage() throws IOException {
        String body = "{\"model\": \"tiny-eps\", \"prompt\": \"sneaker\", \"steps\": 1, \"seed\": 3, \"scale\": 1,"
                + " \"init_image\": \"" + base64(pattern()) + "\", \"denoise\": 0.02, \"format\": \"json\"}";
        Http.Response r = server.http().post("/api/generate", body);
        assertEquals(200, r.status(), r.toString());
        assertTrue(r.json().get("infotexts").get(0).asText().endsWith("Denoising strength: 0.02"));
        BufferedImage got = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(r.json().get("images").get(0).asText())));
        BufferedImage init = pattern();
        double diff = 0;
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                diff += Math.abs(gray(got, x, y) - gray(init, x, y));
            }
        }
        assertTrue(diff / (28 * 28) < 6, "mean difference " + diff / (28 * 28) + " levels");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"init_images\": []|init_images|holds 0 images",
            "\"init_images\": [\"AAAA\", \"AAAA\"]|init_images|holds 2 images",
            "\"init_images\": [\"not base64!\"]|init_images|not valid base64",
            "\"init_images\": [\"AAAA\"]|init_images|not a PNG or JPEG image",
            "\"denoising_strength\": 0|denoising_strength|(0, 1]",
            "\"denoising_strength\": 1.5|denoising_strength|(0, 1]",
            "\"resize_mode\": 2|resize_mode|allowed: 0 (just resize), 1 (crop and resize)",
            "\"mask\": \"AAAA\"|mask|no inpainting",
    })
    void badImg2imgGets400NamingTheField(String field, String name, String message) throws IOException {
        ObjectNode body = fixture();
        body.setAll((ObjectNode) Http.JSON.readTree("{" + field + "}"));
        Http.Response r = server.http().post("/sdapi/v1/img2img", body.toString());
        assertEquals(400, r.status(), r.toString());
        assertEquals(name, r.json().get("field").asText(), r.toString());
        assertTrue(r.json().get("error").asText().contains(message), r.toString());
    }

    @Test
    void nativeImg2imgFieldsAreChecked() {
        Http.Response r = server.http().post("/api/generate", "{\"model\": \"tiny-eps\", \"denoise\": 0.5}");
        assertEquals(400, r.status());
        assertEquals("denoise", r.json().get("field").asText());
        Http.Response bad = server.http().post("/api/generate", "{\"model\": \"tiny-eps\", \"init_image\": \"AAAA\"}");
        assertEquals(400, bad.status());
        assertEquals("init_image", bad.json().get("field").asText());
    }
}
