package dev.stepwise.onnx.sd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.FlowSampling;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.NearestTimestepSampling;
import dev.stepwise.core.model.Prediction;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.OnnxOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SdModelTest {

    static Path fixture(String name) {
        try {
            return Path.of(SdModelTest.class.getResource("/sd/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static SdModel load(String name) {
        return SdModel.load(fixture(name), OnnxOptions.defaults());
    }

    @Test
    void readsEachFamilyAsItsExportSays() {
        try (SdModel m = load("sd1")) {
            assertEquals(Family.SD1, m.family());
            assertEquals(512, m.nativeSize());
            assertEquals(Prediction.EPS, m.sampling().prediction());
            assertInstanceOf(NearestTimestepSampling.class, m.sampling());
            assertEquals(0.18215, m.vae().scale(), 0);
            assertArrayEquals(new int[] {4, 8, 12}, m.latentShape(96, 64));
            assertEquals(1, m.scheduler().stepsOffset());
            assertEquals("leading", m.scheduler().timestepSpacing());
        }
        try (SdModel m = load("sd2-v")) {
            assertEquals(Family.SD2, m.family());
            assertEquals(Prediction.V, m.sampling().prediction());
            assertEquals(768, m.nativeSize());
        }
        try (SdModel m = load("sdxl")) {
            assertEquals(Family.SDXL, m.family());
            assertEquals(1024, m.nativeSize());
            assertEquals(0.13025, m.vae().scale(), 0);
        }
        try (SdModel m = load("sd3")) {
            assertEquals(Family.SD3, m.family());
            FlowSampling f = assertInstanceOf(FlowSampling.class, m.sampling());
            assertEquals(3.0, f.shift(), 0);
            assertEquals(1.5305, m.vae().scale(), 0);
            assertEquals(0.0609, m.vae().shift(), 0);
            assertArrayEquals(new int[] {16, 8, 8}, m.latentShape(64, 64));
        }
    }

    @Test
    void discreteSamplingIsSd15sWithComfysNearestTimestep() {
        try (SdModel m = load("sd1")) {
            DiscreteVpSampling sd = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
            assertEquals(sd.sigmaMax(), m.sampling().sigmaMax(), 0);
            assertEquals(14.614641, m.sampling().sigmaMax(), 1e-5);
            double[] table = sd.sigmaTable();
            for (int i : new int[] {0, 1, 500, 998, 999}) {
                assertEquals(i, m.sampling().timestep(table[i]), 0);
            }
            // between two training sigmas the nearest in log space wins (k-diffusion would give 500.25)
            double between = Math.exp(0.75 * Math.log(table[500]) + 0.25 * Math.log(table[501]));
            assertEquals(500, m.sampling().timestep(between), 0);
            assertEquals(500.25, sd.timestep(between), 1e-4);
        }
    }

    @Test
    void promptsBecomeConditioningOfTheDenoisersWidth() {
        try (SdModel m = load("sd1")) {
            SdConditioning c = m.promptEncoder().encode("a photo of a cat");
            assertEquals(77, c.tokens());
            assertEquals(32, c.width());
            assertEquals(0, c.pooled().length);
            assertNotEquals(c, m.promptEncoder().encode("a photo of a dog"));
            assertEquals(c, m.promptEncoder().encode("a photo of a cat"));
            String longPrompt = "cat ".repeat(100);
            assertEquals(154, m.promptEncoder().encode(longPrompt).tokens());
        }
        try (SdModel m = load("sdxl")) {
            SdConditioning c = m.promptEncoder().encode("a cat");
            assertEquals(16 + 24, c.width());
            assertEquals(24, c.pooled().length);
            assertEquals(2, m.promptEncoder().tokenizers().size());
            // the second tokenizer pads with "!" (id 0), the first with EOS
            assertEquals(0, m.promptEncoder().tokenizers().get(1).pad());
            assertEquals(49407, m.promptEncoder().tokenizers().get(0).pad());
        }
        try (SdModel m = load("sd3")) {
            assertTrue(m.hasT5());
            SdConditioning c = m.promptEncoder().encode("a cat");
            assertEquals(48, c.width());
            assertEquals(16 + 24, c.pooled().length);
            // CLIP's 77 tokens, then T5's 77 (a cat = 57 | 41 92, then EOS 1, padded with 0 to 77)
            assertEquals(77 + 77, c.tokens());
            // CLIP-L and CLIP-G fill 40 of the 48 values of CLIP's tokens; the rest is zero padding
            for (int t = 0; t < 77; t++) {
                for (int k = 40; k < 48; k++) {
                    assertEquals(0f, c.context()[t * 48 + k]);
                }
            }
            assertNotEquals(0f, c.context()[77 * 48 + 47]);
            // T5 takes one sequence however long: "cat" is 2 pieces in the test spiece.model (python3-sentencepiece)
            assertEquals(154 + 100 * 2 + 1, m.promptEncoder().encode("cat ".repeat(100)).tokens());
        }
        try (SdModel m = SdModel.load(sd3WithoutT5(tmp.resolve("no-t5")), OnnxOptions.defaults())) {
            assertFalse(m.hasT5());
            assertEquals(77, m.promptEncoder().encode("a cat").tokens());
        }
    }

    @Test
    void tokenizersAreReadWithoutSessions() {
        var t = SdModel.tokenizers(fixture("sdxl"));
        assertEquals(2, t.size());
        // OpenAI's reference ids (clip/reference_ids.tsv) for "a photograph of an astronaut riding a horse"
        assertArrayEquals(new int[] {49406, 320, 8853, 539, 550, 18376, 6765, 320, 4558, 49407},
                t.get(1).ids("a photograph of an astronaut riding a horse"));
        assertEquals(0, t.get(1).windows("a cat").get(0)[76]);
        assertEquals(49407, t.get(0).windows("a cat").get(0)[76]);
    }

    @Test
    void denoiserDependsOnPromptAndTimestepInEveryFamily() {
        for (String name : List.of("sd1", "sd2-v", "sdxl", "sd3", "sd1-fp16")) {
            try (SdModel m = load(name)) {
                Model model = m.model(64, 64);
                int[] shape = Tensor.batchShape(2, model.sampleShape());
                Tensor x = Tensor.zeros(shape);
                for (int i = 0; i < x.size(); i++) {
                    x.data()[i] = (float) Math.sin(0.37 * i);
                }
                List<Conditioning> cond = List.of(m.promptEncoder().encode("a cat"), m.promptEncoder().encode(""));
                double sigma = 0.5 * (m.sampling().sigmaMin() + m.sampling().sigmaMax());
                Tensor a = Tensor.zeros(shape), b = Tensor.zeros(shape);
                model.denoiser().denoise(x, sigma, cond, a);
                model.denoiser().denoise(x, m.sampling().sigmaMin() * 2, cond, b);
                int row = x.rowSize();
                boolean rowsDiffer = false, timesDiffer = false;
                for (int i = 0; i < row; i++) {
                    assertTrue(Float.isFinite(a.data()[i]) && Float.isFinite(a.data()[row + i]), name);
                    rowsDiffer |= Math.abs(a.data()[i] - a.data()[row + i]) > 1e-4;
                    timesDiffer |= Math.abs(a.data()[i] - b.data()[i]) > 1e-4;
                }
                assertTrue(rowsDiffer, name + ": the prompt changes the prediction");
                assertTrue(timesDiffer, name + ": the noise level changes the prediction");
            }
        }
    }

    @Test
    void windowsOfDifferentCountsBatchLikeSeparateCalls() {
        try (SdModel m = load("sd1")) {
            Model model = m.model(64, 64);
            Conditioning shortPrompt = m.promptEncoder().encode("a cat");
            Conditioning longPrompt = m.promptEncoder().encode("a cat, ".repeat(40));
            Tensor x = Tensor.zeros(Tensor.batchShape(2, model.sampleShape()));
            for (int i = 0; i < x.size(); i++) {
                x.data()[i] = (float) Math.cos(0.11 * i);
            }
            Tensor both = Tensor.zeros(x.shape());
            model.denoiser().denoise(x, 3.0, List.of(shortPrompt, longPrompt), both);
            int row = x.rowSize();
            Tensor one = Tensor.zeros(Tensor.batchShape(1, model.sampleShape()));
            Tensor out = Tensor.zeros(one.shape());
            System.arraycopy(x.data(), row, one.data(), 0, row);
            model.denoiser().denoise(one, 3.0, List.of(longPrompt), out);
            for (int i = 0; i < row; i++) {
                assertEquals(out.data()[i], both.data()[row + i], 1e-5);
            }
        }
    }

    @Test
    void vaeDecodesToEightTimesTheLatent() {
        try (SdModel m = load("sd3")) {
            Tensor z = Tensor.zeros(1, 16, 4, 6);
            Tensor px = m.vae().decode(z, 0);
            assertArrayEquals(new int[] {3, 32, 48}, px.shape());
            assertEquals(48, m.image(z, 0).getWidth());
        }
        assertEquals(0, VaeDecoder.toByte(-1.5f));
        assertEquals(127, VaeDecoder.toByte(0f));     // 255 * 0.5 = 127.5, truncated as ComfyUI does
        assertEquals(255, VaeDecoder.toByte(1f));
    }

    @Test
    void sizesMustBeMultiplesOfEight() {
        var e = assertThrows(IllegalArgumentException.class, () -> SdModel.checkSize("width", 500));
        assertEquals("width 500 is not allowed; width must be a positive multiple of 8 (the VAE's factor), such as 496"
                + " or 504", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SdModel.checkSize("height", 0));
    }

    // ---- malformed folders: one line naming the file and what was expected ----

    @TempDir
    Path tmp;

    private Path copy(String name) {
        return copy(name, tmp.resolve(name));
    }

    /** The tiny SD3 folder without text_encoder_3 and tokenizer_3 (CLIP only), copied to {@code to}. */
    static Path sd3WithoutT5(Path to) {
        copy("sd3", to);
        for (String part : List.of("text_encoder_3/model.onnx", "tokenizer_3/spiece.model")) {
            try {
                Files.delete(to.resolve(part));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return to;
    }

    static Path copy(String name, Path to) {
        Path from = fixture(name);
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return to;
    }

    private static String failure(Path dir) {
        var e = assertThrows(IllegalArgumentException.class, () -> SdModel.load(dir, OnnxOptions.defaults()).close());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    private static void replace(Path dir, String part, String fromFamily) throws IOException {
        Files.copy(fixture(fromFamily).resolve(part), dir.resolve(part), StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        Path d = copy("sd1");
        Files.delete(d.resolve("unet/model.onnx"));
        assertEquals(d.resolve("unet/model.onnx") + ": missing (expected the UNet exported to ONNX)", failure(d));

        Files.delete(d.resolve("model_index.json"));
        assertTrue(failure(d).startsWith(d.resolve("model_index.json") + ": missing (expected the pipeline's parts"));

        Path s = copy("sdxl");
        Files.delete(s.resolve("tokenizer_2/merges.txt"));
        assertTrue(failure(s).startsWith(s.resolve("tokenizer_2/merges.txt") + ": missing"));

        Path t = copy("sd2-v");
        Files.delete(t.resolve("scheduler/scheduler_config.json"));
        assertTrue(failure(t).startsWith(t.resolve("scheduler/scheduler_config.json") + ": missing"));
    }

    @Test
    void wrongInputNameIsNamed() throws IOException {
        Path d = copy("sd1");
        Files.copy(fixture("sd3").resolve("transformer/model.onnx"), d.resolve("unet/model.onnx"),
                StandardCopyOption.REPLACE_EXISTING);
        String m = failure(d);
        assertTrue(m.startsWith(d.resolve("unet/model.onnx") + ": expected an input named 'sample'; its inputs are ["),
                m);
    }

    @Test
    void wrongLatentChannelsAreNamed() throws IOException {
        Path d = copy("sd3");
        replace(d, "vae_decoder/model.onnx", "sd1");
        assertEquals(d.resolve("vae_decoder/model.onnx") + ": input 'latent_sample' has 4 channels, expected 16 (SD3"
                + " latents)", failure(d));
    }

    @Test
    void textEncoderWidthMustMatchTheUnet() throws IOException {
        Path d = copy("sd1");
        replace(d, "text_encoder/model.onnx", "sd2-v");
        assertEquals(d.resolve("unet/model.onnx") + ": input 'encoder_hidden_states' takes 32 values per token, but"
                + " the text encoders give 24 (24 from text_encoder/last_hidden_state); expected them to match", failure(d));
    }

    @Test
    void t5WidthMustMatchTheTransformer() throws IOException {
        Path d = copy("sd3");
        Files.copy(fixture("sd1").resolve("text_encoder/model.onnx"), d.resolve("text_encoder_3/model.onnx"),
                StandardCopyOption.REPLACE_EXISTING);
        assertEquals(d.resolve("text_encoder_3/model.onnx") + ": output 'last_hidden_state' has 32 values per token,"
                + " expected 48 (the width of " + d.resolve("transformer/model.onnx") + "'s input"
                + " 'encoder_hidden_states', which takes T5's tokens after CLIP's)", failure(d));
    }

    @Test
    void t5WithoutItsTokenizerIsNamed() throws IOException {
        Path d = copy("sd3");
        Files.delete(d.resolve("tokenizer_3/spiece.model"));
        assertEquals(d.resolve("tokenizer_3/spiece.model") + ": missing (expected a SentencePiece model, spiece.model)",
                failure(d));
    }

    @Test
    void penultimateLayerNeedsHiddenStates() throws IOException {
        Path d = copy("sdxl");
        replace(d, "text_encoder/model.onnx", "sd2-v");
        String m = failure(d);
        assertTrue(m.startsWith(d.resolve("text_encoder/model.onnx") + ": expected outputs hidden_states.0..N"), m);
    }

    @Test
    void badConfigValuesAreNamed() throws IOException {
        Path d = copy("sd1");
        Path idx = d.resolve("model_index.json");
        Files.writeString(idx, Files.readString(idx).replace("StableDiffusionPipeline", "KandinskyPipeline"));
        assertTrue(failure(d).startsWith(idx + ": _class_name 'KandinskyPipeline', expected a Stable Diffusion pipeline"));

        Path e = copy("sd2-v");
        Path sc = e.resolve("scheduler/scheduler_config.json");
        Files.writeString(sc, Files.readString(sc).replace("v_prediction", "velocity"));
        assertEquals(sc + ": prediction_type 'velocity', expected epsilon, v_prediction or sample", failure(e));
    }
}
