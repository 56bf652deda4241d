package dev.stepwise.onnx.sd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.CompatProfile;
import dev.stepwise.onnx.OnnxOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clip skip's layer choice and the final layer norm read from the ONNX graph (the numbers against torch are
 * SdConditioningReferenceTest's clip-skip cases).
 */
class ClipSkipTest {
    @TempDir
    Path tmp;

    /**
     * The norm found in the graph, applied to the last layer's output, gives the graph's own last_hidden_state:
     * weights, bias and epsilon are the ones the export computes with. The fp16 folder's graph ends in casts.
     */
    @Test
    void theGraphsFinalLayerNormGivesItsLastHiddenState() {
        for (String family : List.of("sd1", "sd1-fp16")) {
            Path file = SdModelTest.fixture(family).resolve("text_encoder/model.onnx");
            try (TypedSession s = TypedSession.open(file, "the CLIP text encoder", OnnxOptions.defaults())) {
                long[] ids = new long[77];
                Arrays.fill(ids, 49407);
                ids[0] = 49406;
                ids[1] = 320;
                ids[2] = 2368;
                Map<String, TypedSession.Output> out = s.run(Map.of("input_ids", TypedSession.Input.ofLongs(ids, 1, 77)),
                        List.of("hidden_states.3", "last_hidden_state"));
                FinalLayerNorm norm = FinalLayerNorm.find(OnnxGraph.read(file), "last_hidden_state", 32);
                assertEquals(1e-5, norm.epsilon(), 1e-12, "nn.LayerNorm's default, read from the graph's Add");
                float[] expected = out.get("last_hidden_state").data();
                float[] got = norm.apply(out.get("hidden_states.3").data());
                // float16 outputs: the graph normalises float32 values, this the float16-rounded ones
                double tolerance = family.endsWith("fp16") ? 1e-2 : 1e-5;
                SdReferenceTest.assertClose(family, expected, got, tolerance);
            }
        }
    }

    @Test
    void clipSkipPicksLayersCountedFromTheLast() {
        try (SdModel sd = SdModelTest.load("sd1")) {
            TextEncoder e = ((TextEncoders) sd.promptEncoder()).encoders().get(0);
            assertEquals(new TextEncoder.Layer("last_hidden_state", false), e.layer(1));
            assertEquals(e.layer(1), e.layer(0), "SD1's own layer is the last");
            assertEquals(new TextEncoder.Layer("hidden_states.2", true), e.layer(2));
            assertEquals(new TextEncoder.Layer("hidden_states.1", true), e.layer(3));
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> e.layer(4));
            assertEquals("clip skip 4 is not allowed: " + e.file() + " has 3 layers; use 1..3", x.getMessage());
        }
        try (SdModel sd = SdModelTest.load("sdxl")) {
            for (TextEncoder e : ((TextEncoders) sd.promptEncoder()).encoders()) {
                assertEquals(new TextEncoder.Layer("hidden_states.2", false), e.layer(0), "penultimate, no norm");
                assertEquals(new TextEncoder.Layer("hidden_states.3", false), e.layer(1));
            }
        }
    }

    /** SD2's export stops at the penultimate layer, and the tiny one has no hidden states: both say so in one line. */
    @Test
    void layersTheExportLacksAreOneLine() {
        try (SdModel sd = SdModelTest.load("sd2-v")) {
            Path file = sd.dir().resolve("text_encoder/model.onnx");
            SdConditioning plain = sd.promptEncoder().encode("a cat");
            TextSettings comfy2 = TextSettings.of(CompatProfile.COMFYUI, 2);
            assertEquals(plain, sd.promptEncoder().encode("a cat", comfy2), "clip skip 2 is SD2's own layer");
            IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                    () -> sd.promptEncoder().encode("a cat", TextSettings.of(CompatProfile.COMFYUI, 1)));
            assertEquals(file + ": clip skip 1 is not in this export: it ends 1 layer before the model's last (the"
                    + " diffusers export of this family stops at its penultimate layer); use 2 or more", one.getMessage());
            IllegalArgumentException three = assertThrows(IllegalArgumentException.class,
                    () -> sd.promptEncoder().encode("a cat", TextSettings.of(CompatProfile.COMFYUI, 3)));
            assertTrue(three.getMessage().startsWith(file + ": expected outputs hidden_states.0..N (clip skip 3 picks"
                    + " layer -3); its outputs are [last_hidden_state, pooler_output]"), three.getMessage());
            // A1111 applies clip skip to SD1 only (sd_hijack_clip.py): SD2 keeps its layer
            assertEquals(plain, sd.promptEncoder().encode("a cat", TextSettings.of(CompatProfile.A1111, 3)));
        }
    }

    @Test
    void aFileThatIsNoOnnxModelIsOneLine() throws IOException {
        Path bad = Files.write(tmp.resolve("model.onnx"), new byte[] {(byte) 0xff, (byte) 0xff, 0x7f});
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> OnnxGraph.read(bad));
        assertTrue(x.getMessage().startsWith(bad + ": not a readable ONNX model ("), x.getMessage());
    }

    @Test
    void aNegativeClipSkipIsRefused() {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> TextSettings.of(CompatProfile.COMFYUI, -1));
        assertTrue(x.getMessage().startsWith("clip skip -1 is not allowed; use 1"), x.getMessage());
    }
}
