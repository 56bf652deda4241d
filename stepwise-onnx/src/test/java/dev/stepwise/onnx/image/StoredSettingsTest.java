package dev.stepwise.onnx.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Settings read back from the hand-written A1111 and ComfyUI fixtures of src/test/resources/pnginfo (see its README). */
class StoredSettingsTest {

    static String fixture(String name) throws IOException {
        try (InputStream in = StoredSettingsTest.class.getResourceAsStream("/pnginfo/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static byte[] png(Map<String, String> texts) throws IOException {
        return PngWriter.encodeWithTexts(new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB), texts);
    }

    private static StoredSettings read(String keyword, String text) throws IOException {
        return StoredSettings.read(png(Map.of(keyword, text)));
    }

    @Test
    void a1111v19ParametersWithScheduleTypeAndTheDefaultGpuRng() throws IOException {
        StoredSettings s = read("parameters", fixture("a1111-v1.9.txt"));
        assertEquals("a photo of a cat, (sitting:1.2), masterpiece", s.prompt());
        assertEquals("blurry, lowres", s.negative());
        assertEquals("v1-5-pruned-emaonly", s.model());
        assertEquals(512, s.width());
        assertEquals(768, s.height());
        assertEquals(1234567890L, s.seed());
        assertEquals(20, s.steps());
        assertEquals(7.0, s.cfg());
        assertEquals("DPM++ 2M", s.sampler());
        assertEquals("karras", s.scheduler());
        assertEquals("nv", s.rng(), "no RNG field: A1111's GPU default, which NV reproduces");
        assertEquals("a1111", s.compat(), "a parameters text alone is A1111's");
        assertEquals(2, s.clipSkip());
        assertNull(s.batch());
        assertNull(s.denoise());
    }

    @Test
    void a1111v16CombinedLabelAndCpuRng() throws IOException {
        StoredSettings s = read("parameters", fixture("a1111-v1.6-cpu.txt"));
        assertEquals("a lighthouse at dusk", s.prompt());
        assertEquals("", s.negative());
        assertEquals("Euler a", s.sampler());
        assertNull(s.scheduler(), "the label's own scheduler applies");
        assertEquals(6.5, s.cfg());
        assertEquals(640, s.width());
        assertEquals(512, s.height());
        assertEquals("cpu", s.rng());
    }

    @Test
    void comfyUiBasicApiWorkflow() throws IOException {
        StoredSettings s = read("prompt", fixture("comfyui-basic-api.json"));
        assertEquals("ComfyUI prompt", s.source());
        assertEquals("masterpiece best quality girl", s.prompt());
        assertEquals("bad hands", s.negative());
        assertEquals("v1-5-pruned-emaonly", s.model());
        assertEquals(512, s.width());
        assertEquals(1, s.batch());
        assertEquals(8566257L, s.seed());
        assertEquals(20, s.steps());
        assertEquals(8.0, s.cfg());
        assertEquals("euler", s.sampler());
        assertEquals("normal", s.scheduler());
        assertEquals(1.0, s.denoise());
        assertEquals("cpu", s.rng());
        assertEquals("comfyui", s.compat());
        assertNull(s.clipSkip(), "the encoders read the loader's CLIP: no clip skip stored");
    }

    @Test
    void comfyUiClipSetLastLayerIsTheClipSkip() throws IOException {
        StoredSettings s = read("prompt", fixture("comfyui-clip-skip-api.json"));
        assertEquals(2, s.clipSkip(), "stop_at_clip_layer -2");
        assertEquals("masterpiece best quality girl", s.prompt());
        String odd = fixture("comfyui-clip-skip-api.json").replace("-2}", "0}");
        String m = assertThrows(IllegalArgumentException.class, () -> read("prompt", odd)).getMessage();
        assertEquals("the CLIPSetLastLayer's stop_at_clip_layer is 0; allowed: a whole number from -24 to -1", m);
    }

    /** The workflow Stepwise writes links both encoders through CLIPSetLastLayer above clip skip 1, and only then. */
    @Test
    void theWrittenWorkflowCarriesTheClipSkip() throws IOException {
        ComfyPrompt w = new ComfyPrompt("sd1", "a cat", "", 64, 48, 1, 7, 4, 3, "euler", "karras", 1, null, null);
        assertTrue(!w.format().contains("CLIPSetLastLayer"));
        assertNull(read("prompt", w.format()).clipSkip());
        String two = w.withClipSkip(3).format();
        assertTrue(two.contains("\"13\":{\"inputs\":{\"stop_at_clip_layer\":-3,\"clip\":[\"4\",1]},"
                + "\"class_type\":\"CLIPSetLastLayer\"}"), two);
        assertTrue(two.contains("\"text\":\"a cat\",\"clip\":[\"13\",0]"), two);
        assertEquals(3, read("prompt", two).clipSkip());
    }

    @Test
    void comfyUiKSamplerAdvancedFollowedFromSaveImage() throws IOException {
        StoredSettings s = read("prompt", fixture("comfyui-advanced-api.json"));
        assertEquals("a cat", s.prompt());
        assertEquals("", s.negative());
        assertEquals("sd1", s.model());
        assertEquals(64, s.width());
        assertEquals(48, s.height());
        assertEquals(2, s.batch());
        assertEquals(7L, s.seed());
        assertEquals("dpmpp_2m", s.sampler());
        assertEquals("karras", s.scheduler());
    }

    @Test
    void theParametersTextWinsOverTheComfyChunkAndMeansCpuNoise() throws IOException {
        Map<String, String> both = new LinkedHashMap<>();
        both.put("parameters", "x\nSteps: 3, Sampler: euler, Schedule type: simple, CFG scale: 2, Seed: 9, Size: 64x64,"
                + " Model: sd1");
        both.put("prompt", fixture("comfyui-basic-api.json"));
        StoredSettings s = StoredSettings.read(png(both));
        assertEquals(3, s.steps());
        assertEquals("simple", s.scheduler());
        assertEquals("cpu", s.rng());
        assertEquals("comfyui", s.compat(), "a Stepwise PNG without a Compat field: ComfyUI's default profile");
    }

    /** Stepwise's a1111 PNGs carry both chunks and say so; RNG is named only where it is not the profile's own. */
    @Test
    void aCompatFieldSelectsItsProfileAndItsGenerator() throws IOException {
        String line = "x\nSteps: 3, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 2, Seed: 9, Size: 64x64,"
                + " Model: sd1, Compat: a1111";
        Map<String, String> both = new LinkedHashMap<>();
        both.put("parameters", line);
        both.put("prompt", fixture("comfyui-basic-api.json"));
        StoredSettings s = StoredSettings.read(png(both));
        assertEquals("a1111", s.compat());
        assertEquals("nv", s.rng(), "the profile's own");
        assertEquals("DPM++ 2M", s.sampler());
        assertEquals("karras", s.scheduler());
        both.put("parameters", line + ", RNG: CPU");
        assertEquals("cpu", StoredSettings.read(png(both)).rng());
        both.put("parameters", line.replace("a1111", "invokeai"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StoredSettings.read(png(both)));
        assertEquals("Compat 'invokeai' in the A1111 parameters is not known here; allowed: comfyui, a1111",
                e.getMessage());
    }

    @Test
    void whatCannotBeRerunIsOneLineNamingIt() throws IOException {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StoredSettings.read(png(Map.of())))
                .getMessage().contains("stores no generation settings"));
        String bad = fixture("a1111-v1.9.txt").replace("DPM++ 2M", "Wobbly 9");
        String m = assertThrows(IllegalArgumentException.class, () -> read("parameters", bad)).getMessage();
        assertTrue(m.startsWith("sampler 'Wobbly 9' (from the A1111 parameters) is not known here; allowed:"), m);
        String sched = fixture("comfyui-basic-api.json").replace("\"normal\"", "\"wavy\"");
        m = assertThrows(IllegalArgumentException.class, () -> read("prompt", sched)).getMessage();
        assertTrue(m.startsWith("scheduler 'wavy' (from the ComfyUI prompt) is not known here"), m);
        String linked = fixture("comfyui-basic-api.json").replace("\"seed\": 8566257", "\"seed\": [\"12\", 0]");
        m = assertThrows(IllegalArgumentException.class, () -> read("prompt", linked)).getMessage();
        assertTrue(m.contains("input 'seed' of node 3 (KSampler)") && m.contains("plain values"), m);
        String partial = fixture("comfyui-advanced-api.json").replace("\"start_at_step\": 0", "\"start_at_step\": 2");
        m = assertThrows(IllegalArgumentException.class, () -> read("prompt", partial)).getMessage();
        assertTrue(m.contains("runs steps 2..10000 of 4"), m);
        m = assertThrows(IllegalArgumentException.class, () -> read("parameters", "just a prompt")).getMessage();
        assertTrue(m.contains("no settings line"), m);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StoredSettings.read(new byte[] {1, 2, 3}))
                .getMessage().startsWith("not a PNG image"));
    }
}
