package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stepwise generate} on the tiny random-weight Stable Diffusion folders of stepwise-onnx (tools/sd/make_tiny.py). */
class GenerateSdTest {
    @TempDir
    Path dir;

    static Path folder(String name) {
        try {
            return Path.of(GenerateSdTest.class.getResource("/sd/" + name + "/model_index.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private Cli.Result generate(Path out, String family, String... more) {
        return generateWith("a cat", out, family, more);
    }

    private Cli.Result generateWith(String prompt, Path out, String family, String... more) {
        String[] base = {"generate", "--model", folder(family).toString(), "--prompt", prompt, "--negative", "blurry",
                "--height", "48", "--sampler", "euler", "--scheduler", "normal", "--steps", "6",
                "--cfg", "7", "--no-progress", "-o", out.toString()};
        String[] a = new String[base.length + more.length];
        System.arraycopy(base, 0, a, 0, base.length);
        System.arraycopy(more, 0, a, base.length, more.length);
        return Cli.run(a);
    }

    @Test
    void writesAnRgbPngWithTheInfotextAndIsDeterministic() throws IOException {
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png");
        Cli.Result r = generate(a, "sd1", "--width", "64", "--seed", "42");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("NFE 6 (cond passes 6, uncond passes 6"), r.out());
        BufferedImage img = ImageIO.read(a.toFile());
        assertEquals(64, img.getWidth());
        assertEquals(48, img.getHeight());
        String bytes = new String(Files.readAllBytes(a), StandardCharsets.ISO_8859_1);
        assertTrue(bytes.contains("a cat\nNegative prompt: blurry\nSteps: 6, Sampler: euler, Schedule type: normal,"
                + " CFG scale: 7, Seed: 42, Size: 64x48, Model: sd1, Model hash: d093f49a0a"), "infotext");
        assertTrue(bytes.contains("\"5\":{\"inputs\":{\"width\":64,\"height\":48,\"batch_size\":1},"
                + "\"class_type\":\"EmptyLatentImage\"}"), "ComfyUI prompt chunk");
        assertEquals(0, generate(b, "sd1", "--width", "64", "--seed", "42").code());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        Path c = dir.resolve("c.png");
        assertEquals(0, generate(c, "sd1", "--width", "64", "--seed", "43").code());
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)), "the seed matters");
    }

    /** Prompt weights reach the text encoders (the numbers are SdConditioningReferenceTest's); weight 1 is none. */
    @Test
    void promptWeightsChangeTheImageAndWeightOneDoesNot() throws IOException {
        String[] common = {"--width", "64", "--seed", "42"};
        Path plain = dir.resolve("plain.png"), one = dir.resolve("one.png"), heavy = dir.resolve("heavy.png");
        assertEquals(0, generate(plain, "sd1", common).code());
        Cli.Result o = generateWith("a (cat:1)", one, "sd1", common);
        assertEquals(0, o.code(), o.err());
        Cli.Result r = generateWith("a (cat:1.3)", heavy, "sd1", common);
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(pixels(plain), pixels(one));
        assertFalse(java.util.Arrays.equals(pixels(plain), pixels(heavy)), "the weight matters");
    }

    /** --clip-skip: SD1's own layer is 1; 2 changes the image; a layer the export lacks is one line, exit 2
     * (the tiny sd1 encoder has 3 layers). */
    @Test
    void clipSkipPicksTheLayerAndOneTheExportLacksIsOneLine() throws IOException {
        Path own = dir.resolve("own.png"), one = dir.resolve("one.png"), two = dir.resolve("two.png");
        assertEquals(0, generate(own, "sd1", "--width", "64").code());
        assertEquals(0, generate(one, "sd1", "--width", "64", "--clip-skip", "1").code());
        Cli.Result r = generate(two, "sd1", "--width", "64", "--clip-skip", "2");
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(pixels(own), pixels(one));
        assertFalse(java.util.Arrays.equals(pixels(own), pixels(two)));
        assertTrue(new String(Files.readAllBytes(two), StandardCharsets.ISO_8859_1).contains(", Clip skip: 2"));
        Path bad = dir.resolve("bad.png");
        r = generate(bad, "sd1", "--width", "64", "--clip-skip", "5");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("clip skip 5 is not allowed: " + folder("sd1").resolve("text_encoder/model.onnx")
                + " has 3 layers; use 1..3"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(bad));
        r = generate(bad, "sd1", "--width", "64", "--clip-skip", "-1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--clip-skip -1 is not allowed"), r.err());
    }

    static int[] pixels(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    @Test
    void anA1111LabelIsItsSamplerAndScheduler() throws IOException {
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png");
        String[] common = {"generate", "--model", folder("sd1").toString(), "--prompt", "a cat", "--width", "64",
            "--height", "48", "--steps", "4", "--seed", "5", "--no-progress"};
        Cli.Result r = Cli.run(concat(common, "--sampler", "DPM++ 2M Karras", "-o", a.toString()));
        assertEquals(0, r.code(), r.err());
        assertEquals(0, Cli.run(concat(common, "--sampler", "dpmpp_2m", "--scheduler", "karras", "-o", b.toString()))
                .code());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertTrue(new String(Files.readAllBytes(a), StandardCharsets.ISO_8859_1)
                .contains("Sampler: dpmpp_2m, Schedule type: karras"), "infotext");
    }

    /**
     * --compat a1111: A1111's labels, the profile recorded; its generator is NV unless --rng says otherwise, and the
     * other conventions (per-image noise, sigma_0 scaling, interpolated timesteps) change the image on their own.
     */
    @Test
    void theA1111ProfileChangesTheImageAndIsRecorded() throws IOException {
        Path a = dir.resolve("a.png"), nv = dir.resolve("nv.png"), cpu = dir.resolve("cpu.png"),
                comfy = dir.resolve("comfy.png"), comfyNv = dir.resolve("comfy-nv.png");
        Cli.Result r = generate(a, "sd1", "--width", "64", "--seed", "42", "--compat", "a1111");
        assertEquals(0, r.code(), r.err());
        String text = text(a);
        assertTrue(text.contains("Steps: 6, Sampler: Euler, Schedule type: Normal, CFG scale: 7, Seed: 42,"
                + " Size: 64x48, Model: sd1, Compat: a1111, Model hash: d093f49a0a"), text);
        assertFalse(text.contains("RNG"), text);
        assertEquals(0, generate(nv, "sd1", "--width", "64", "--seed", "42", "--compat", "A1111", "--rng", "nv").code());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(nv), "NV is the profile's own generator");
        assertEquals(0, generate(cpu, "sd1", "--width", "64", "--seed", "42", "--compat", "a1111", "--rng", "cpu")
                .code());
        assertTrue(text(cpu).contains("Model: sd1, RNG: CPU, Compat: a1111"), text(cpu));
        assertEquals(0, generate(comfy, "sd1", "--width", "64", "--seed", "42").code());
        assertFalse(text(comfy).contains("Compat"), text(comfy));
        assertEquals(0, generate(comfyNv, "sd1", "--width", "64", "--seed", "42", "--rng", "nv").code());
        assertTrue(text(comfyNv).contains("Model: sd1, RNG: NV, Model hash"), text(comfyNv));
        assertFalse(java.util.Arrays.equals(pixels(a), pixels(cpu)), "the generator matters");
        assertFalse(java.util.Arrays.equals(pixels(cpu), pixels(comfy)), "so do the other conventions");
        assertFalse(java.util.Arrays.equals(pixels(a), pixels(comfyNv)), "with the same generator too");
    }

    private static String text(Path png) throws IOException {
        return new String(Files.readAllBytes(png), StandardCharsets.ISO_8859_1);
    }

    @Test
    void underA1111AnA1111LabelIsWrittenBackAsA1111WritesIt() throws IOException {
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png");
        String[] common = {"generate", "--model", folder("sd1").toString(), "--prompt", "a cat", "--width", "64",
            "--height", "48", "--steps", "4", "--seed", "5", "--no-progress", "--compat", "a1111"};
        assertEquals(0, Cli.run(concat(common, "--sampler", "DPM++ 2M Karras", "-o", a.toString())).code());
        assertTrue(text(a).contains("Sampler: DPM++ 2M, Schedule type: Karras,"), text(a));
        // --from reads the labels and the profile back: the same image, texts and all.
        Cli.Result r = Cli.run("generate", "--from", a.toString(), "--model", folder("sd1").toString(),
                "--no-progress", "-o", b.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void sdxlBatchWritesAGridAndEachImage() throws IOException {
        Path out = dir.resolve("grid.png");
        Cli.Result r = generate(out, "sdxl", "--width", "64", "--batch", "2", "--each");
        assertEquals(0, r.code(), r.err());
        assertEquals(128, ImageIO.read(out.toFile()).getWidth());
        assertEquals(64, ImageIO.read(dir.resolve("grid-2.png").toFile()).getWidth());
    }

    @Test
    void sizesNotAMultipleOfEightAreOneLineExitTwo() {
        Path out = dir.resolve("x.png");
        Cli.Result r = generate(out, "sd1", "--width", "500");
        assertEquals(2, r.code());
        assertEquals("stepwise generate: --width 500 is not allowed; --width must be a positive multiple of 8 (the"
                + " VAE's factor), such as 496 or 504", r.err().strip());
        assertFalse(Files.exists(out));
    }

    @Test
    void aBrokenFolderIsOneLineNamingTheFile() throws IOException {
        Path broken = dir.resolve("broken");
        Files.createDirectories(broken.resolve("scheduler"));
        Files.copy(folder("sd1").resolve("model_index.json"), broken.resolve("model_index.json"));
        Files.copy(folder("sd1").resolve("scheduler/scheduler_config.json"), broken.resolve("scheduler/scheduler_config.json"));
        Cli.Result r = Cli.run("generate", "--model", broken.toString(), "--width", "64", "--no-progress",
                "-o", dir.resolve("x.png").toString());
        assertEquals(2, r.code());
        assertEquals(1, r.errLines());
        assertTrue(r.err().contains(broken.resolve("tokenizer/vocab.json") + ": missing"), r.err());
    }

    @Test
    void scaleIsForTheBuiltInModels() {
        Cli.Result r = generate(dir.resolve("x.png"), "sd1", "--width", "64", "--scale", "2");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--scale applies to the built-in 28x28 models"), r.err());
    }

    /** Pixels of a written PNG, row-major RGB. */
    private static int[] rgb(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    @Test
    void img2imgMatchesTheTorchReferencePixels() throws IOException {
        // stepwise-onnx's sd/reference/img2img.json, case sd1-img2img-euler (tools/sd/reference.py)
        Path ref = folder("sd1").resolveSibling("reference");
        Path out = dir.resolve("i2i.png");
        Cli.Result r = Cli.run("generate", "--model", folder("sd1").toString(),
                "--prompt", "a photograph of an astronaut riding a horse",
                "--negative", "paintings, cartoon, anime, sketches, lowres, sun", "--width", "64", "--height", "48",
                "--sampler", "euler", "--scheduler", "karras", "--steps", "8", "--cfg", "5", "--seed", "11",
                "--init-image", ref.resolve("sd1-img2img-init.png").toString(), "--denoise", "0.6",
                "--no-progress", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("NFE 8 "), r.out());
        float[] px = dev.stepwise.core.io.Npy.read(ref.resolve("sd1-img2img-euler-pixels.npy")).data();
        int[] got = rgb(out);
        int plane = 64 * 48, worst = 0;
        for (int i = 0; i < plane; i++) {
            for (int ch = 0; ch < 3; ch++) {
                float u = Math.min(Math.max((px[ch * plane + i] + 1f) / 2f, 0f), 1f);
                int expected = (int) (255f * u);
                worst = Math.max(worst, Math.abs(expected - ((got[i] >> (16 - 8 * ch)) & 0xff)));
            }
        }
        assertTrue(worst <= 1, "bytes differ by " + worst + " (a truncation at a float-noise boundary may flip one)");
        String bytes = new String(Files.readAllBytes(out), StandardCharsets.ISO_8859_1);
        // Model hash: sha256sum sd1/unet/model.onnx | cut -c1-10
        assertTrue(bytes.contains("Seed: 11, Size: 64x48, Model: sd1, Model hash: d093f49a0a, Denoising strength: 0.6"),
                "infotext");
        assertTrue(bytes.contains("\"3\":{\"inputs\":{\"seed\":11,\"steps\":8,\"cfg\":5.0,\"sampler_name\":\"euler\","
                + "\"scheduler\":\"karras\",\"denoise\":0.6,\"model\":[\"4\",0],\"positive\":[\"6\",0],"
                + "\"negative\":[\"7\",0],\"latent_image\":[\"12\",0]},\"class_type\":\"KSampler\"}"), "ComfyUI prompt");
        assertTrue(bytes.contains("prompt\0{\"4\":{\"inputs\":{\"ckpt_name\":\"sd1\"},\"class_type\":\"CheckpointLoaderSimple\"}"),
                "a tEXt chunk keyed prompt");
        assertTrue(bytes.contains("\"class_type\":\"VAEEncode\""), "img2img graph");
    }

    @Test
    void batchCountSeedsEachBatchAsA1111() throws IOException {
        Path out = dir.resolve("n.png");
        Cli.Result r = generate(out, "sd1", "--width", "64", "--seed", "42", "--batch-count", "2", "--each");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 images 64x48"), r.out());
        Path single = dir.resolve("s.png");
        assertEquals(0, generate(single, "sd1", "--width", "64", "--seed", "43").code());
        assertArrayEquals(rgb(single), rgb(dir.resolve("n-2.png")), "batch 1 of the count is seed 42 + 1");
        String second = new String(Files.readAllBytes(dir.resolve("n-2.png")), StandardCharsets.ISO_8859_1);
        assertTrue(second.contains("Seed: 43,"), "the second image's infotext names its seed");
    }

    @Test
    void denoiseWithoutAnInitImageIsOneLineExitTwo() {
        Cli.Result r = generate(dir.resolve("d.png"), "sd1", "--width", "64", "--denoise", "0.5");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--denoise 0.5 needs --init-image"), r.err());
        Cli.Result m = generate(dir.resolve("d.png"), "sd1", "--width", "64", "--init-image",
                dir.resolve("missing.png").toString());
        assertEquals(2, m.code());
        assertTrue(m.err().contains("missing.png: no such file"), m.err());
        assertFalse(Files.exists(dir.resolve("d.png")));
    }
}
