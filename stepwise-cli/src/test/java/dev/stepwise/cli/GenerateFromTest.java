package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.onnx.image.PngWriter;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code generate --from}: a PNG's stored settings re-run on the tiny sd1 fixture. The A1111 and ComfyUI texts are the
 * hand-written fixtures of stepwise-onnx's src/test/resources/pnginfo; the expected image is the one the same settings
 * give when spelled out as options.
 */
class GenerateFromTest {
    @TempDir
    Path dir;

    @AfterEach
    void clear() {
        Cli.clearModels();
    }

    private static final String SD1 = GenerateSdTest.folder("sd1").toString();

    private static Cli.Result run(String... args) {
        List<String> a = new ArrayList<>(List.of("generate", "--no-progress"));
        a.addAll(List.of(args));
        return Cli.run(a.toArray(String[]::new));
    }

    private Path png(String name, String keyword, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, PngWriter.encodeWithTexts(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB),
                Map.of(keyword, text)));
        return p;
    }

    private static String fixture(String name) throws IOException {
        try (InputStream in = GenerateFromTest.class.getResourceAsStream("/pnginfo/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static byte[] bytes(Path p) throws IOException {
        return Files.readAllBytes(p);
    }

    @Test
    void aStepwisePngRerunsToTheSameBytesAndOptionsOverrideIt() throws IOException {
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png"), c = dir.resolve("c.png"), d = dir.resolve("d.png");
        Cli.Result r = run("--model", SD1, "--prompt", "a cat, (red:1.2)", "--negative", "blurry, dark", "--width", "64",
                "--height", "48", "--sampler", "euler_ancestral", "--scheduler", "karras", "--steps", "4", "--cfg",
                "5.5", "--seed", "42", "--rng", "nv", "--batch", "2", "-o", a.toString());
        assertEquals(0, r.code(), r.err());
        r = run("--from", a.toString(), "--model", SD1, "-o", b.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(bytes(a), bytes(b), "the whole batch, its grid and its texts again");
        // The stored model name resolves where the folder is under the models home, without --model.
        System.setProperty("stepwise.models", Path.of(SD1).getParent().toString());
        r = run("--from", a.toString(), "--seed", "43", "-o", c.toString());
        assertEquals(0, r.code(), r.err());
        r = run("--model", SD1, "--prompt", "a cat, (red:1.2)", "--negative", "blurry, dark", "--width", "64",
                "--height", "48", "--sampler", "euler_ancestral", "--scheduler", "karras", "--steps", "4", "--cfg",
                "5.5", "--seed", "43", "--rng", "nv", "--batch", "2", "-o", d.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(bytes(d), bytes(c), "--seed given overrides the stored one, the rest stays");
        assertFalse(Arrays.equals(bytes(a), bytes(c)));
    }

    /** An A1111 PNG (its parameters text alone) selects the a1111 profile, whose generator is NV. */
    @Test
    void anA1111ParametersTextRunsAsItsOptionsWould() throws IOException {
        Path from = png("a1111.png", "parameters", fixture("a1111-v1.9.txt"));
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png");
        // The fixture's model is not here and its 512x768 x 20 steps would be slow: those three are given.
        Cli.Result r = run("--from", from.toString(), "--model", SD1, "--width", "64", "--height", "48", "--steps",
                "3", "-o", a.toString());
        assertEquals(0, r.code(), r.err());
        r = run("--model", SD1, "--prompt", "a photo of a cat, (sitting:1.2), masterpiece", "--negative",
                "blurry, lowres", "--width", "64", "--height", "48", "--steps", "3", "--sampler", "dpmpp_2m",
                "--scheduler", "karras", "--cfg", "7", "--seed", "1234567890", "--compat", "a1111", "--clip-skip", "2",
                "-o", b.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(bytes(b), bytes(a), "the stored Clip skip 2 applied");
        assertTrue(new String(bytes(a), java.nio.charset.StandardCharsets.ISO_8859_1).contains("Clip skip: 2"));
        Path c = dir.resolve("c.png");
        r = run("--from", from.toString(), "--model", SD1, "--width", "64", "--height", "48", "--steps", "3",
                "--clip-skip", "1", "-o", c.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(Arrays.equals(GenerateSdTest.pixels(a), GenerateSdTest.pixels(c)), "--clip-skip overrides the stored one, and it matters");
    }

    @Test
    void aComfyUiPromptRunsAsItsOptionsWould() throws IOException {
        Path from = png("comfy.png", "prompt", fixture("comfyui-advanced-api.json"));
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png");
        System.setProperty("stepwise.models", Path.of(SD1).getParent().toString());   // ckpt_name sd1.safetensors
        Cli.Result r = run("--from", from.toString(), "-o", a.toString());
        assertEquals(0, r.code(), r.err());
        r = run("--model", SD1, "--prompt", "a cat", "--negative", "", "--width", "64", "--height", "48", "--batch", "2",
                "--steps", "4", "--sampler", "dpmpp_2m", "--scheduler", "karras", "--cfg", "3", "--seed", "7", "--rng",
                "cpu", "-o", b.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(bytes(b), bytes(a));
    }

    /** A run's ComfyUI chunk alone (what ComfyUI reads) carries its clip skip, as a CLIPSetLastLayer node. */
    @Test
    void theComfyUiChunkAloneRerunsAClipSkip() throws IOException {
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png");
        Cli.Result r = run("--model", SD1, "--prompt", "a cat", "--negative", "", "--width", "64", "--height", "48",
                "--steps", "3", "--seed", "5", "--clip-skip", "2", "-o", a.toString());
        assertEquals(0, r.code(), r.err());
        String workflow = dev.stepwise.onnx.image.PngInfo.text(bytes(a)).get("prompt");
        assertTrue(workflow.contains("\"stop_at_clip_layer\":-2"), workflow);
        Path from = png("comfy-only.png", "prompt", workflow);
        r = run("--from", from.toString(), "--model", SD1, "-o", b.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(GenerateSdTest.pixels(a), GenerateSdTest.pixels(b), "clip skip 2 read back from the node");
    }

    @Test
    void whatCannotBeRerunIsOneLineAndExit2() throws IOException {
        Path out = dir.resolve("o.png");
        Path bare = png("bare.png", "Software", "some editor");
        Cli.Result r = run("--from", bare.toString(), "-o", out.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains("--from " + bare + ": the image stores no generation settings"), r.err());
        Path odd = png("odd.png", "parameters", fixture("a1111-v1.9.txt").replace("DPM++ 2M", "Wobbly 9"));
        r = run("--from", odd.toString(), "--model", SD1, "-o", out.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains("sampler 'Wobbly 9' (from the A1111 parameters) is not known here"), r.err());
        Path a1111 = png("a1111.png", "parameters", fixture("a1111-v1.9.txt"));
        r = run("--from", a1111.toString(), "-o", out.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains("its model 'v1-5-pruned-emaonly' is not found here"), r.err());
        r = run("--from", dir.resolve("missing.png").toString(), "-o", out.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.errLines(), r.err());
        assertFalse(Files.exists(out));
    }
}
