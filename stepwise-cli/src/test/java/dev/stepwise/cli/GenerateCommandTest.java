package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code stepwise generate} on stepwise-onnx's tiny fixture models (out = 0.5 x + 0.001 t + y W, linear in
 * the class weights y, so guidance has a closed form), and once on the real built-in model when present.
 */
@ExtendWith(FixtureModels.class)
class GenerateCommandTest {
    /** The fixture models folder (target/test-classes/fixtures), used as the models home so names resolve. */
    static Path fixtures;

    @TempDir
    Path dir;

    @BeforeAll
    static void modelsHome() {
        fixtures = Cli.fixtureModels();
    }

    private Cli.Result generate(Path out, String... args) {
        List<String> a = new ArrayList<>(List.of("generate", "-o", out.toString()));
        a.addAll(List.of(args));
        if (!a.contains("--model")) {
            a.addAll(List.of("--model", "tiny-eps"));
        }
        return Cli.run(a.toArray(String[]::new));
    }

    /** --rng nv: A1111's NV noise source, named in the infotext as A1111 names it ("RNG: NV"). */
    @Test
    void nvRngChangesTheImageAndIsNamedInTheInfotext() throws IOException {
        Path cpu = dir.resolve("cpu.png"), nv = dir.resolve("nv.png");
        assertEquals(0, generate(cpu, "--prompt", "sneaker", "--seed", "42", "--steps", "4", "--scale", "1").code());
        Cli.Result r = generate(nv, "--prompt", "sneaker", "--seed", "42", "--steps", "4", "--scale", "1", "--rng", "nv");
        assertEquals(0, r.code(), r.err());
        String cpuText = textChunks(Files.readAllBytes(cpu)).get("parameters");
        assertFalse(cpuText.contains("RNG"), cpuText);
        assertEquals(cpuText + ", RNG: NV", textChunks(Files.readAllBytes(nv)).get("parameters"));
        assertFalse(Arrays.equals(Files.readAllBytes(cpu), Files.readAllBytes(nv)));
        Cli.Result bad = generate(dir.resolve("bad.png"), "--prompt", "sneaker", "--rng", "gpu");
        assertEquals(2, bad.code());
        assertEquals(1, bad.errLines(), bad.err());
        assertTrue(bad.err().contains("--rng 'gpu' is not known; use cpu"), bad.err());
        assertFalse(Files.exists(dir.resolve("bad.png")));
    }

    /** --compat: a bad profile is one line and exit 2, nothing written; a1111 on a built-in model names its labels. */
    @Test
    void compatIsCheckedAndTheA1111ProfileUsesItsLabels() throws IOException {
        Cli.Result bad = generate(dir.resolve("bad.png"), "--prompt", "sneaker", "--compat", "invokeai");
        assertEquals(2, bad.code());
        assertEquals(1, bad.errLines(), bad.err());
        assertTrue(bad.err().contains("--compat 'invokeai' is not known; use comfyui"), bad.err());
        assertFalse(Files.exists(dir.resolve("bad.png")));
        Path a = dir.resolve("a.png");
        Cli.Result r = generate(a, "--prompt", "sneaker", "--seed", "42", "--steps", "4", "--scale", "1", "--compat",
                "a1111", "--sampler", "Euler a");
        assertEquals(0, r.code(), r.err());
        String text = textChunks(Files.readAllBytes(a)).get("parameters");
        assertTrue(text.contains("Sampler: Euler a, Schedule type: Karras,"), text);
        assertTrue(text.endsWith(", Compat: a1111"), text);
        assertFalse(text.contains("RNG"), "the NV generator is A1111's own: " + text);
    }

    @Test
    void writesAnUpscaledPngWithTheExactA1111Parameters() throws IOException {
        Path out = dir.resolve("sneaker.png");
        Cli.Result r = generate(out, "--prompt", "sneaker", "--seed", "42", "--steps", "6");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertEquals(1, r.out().strip().lines().count(), r.out());
        byte[] png = Files.readAllBytes(out);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(28 * 8, img.getWidth(), "default scale 8");
        assertEquals(28 * 8, img.getHeight());
        assertEquals(Map.of("parameters", "sneaker\nSteps: 6, Sampler: dpmpp_2m, Schedule type: karras, CFG scale: 3,"
                + " Seed: 42, Size: 28x28, Model: tiny-eps"), textChunks(png));

        Path small = dir.resolve("small.png");
        r = generate(small, "--prompt", "(bag:1.3), coat", "--negative", "sneaker", "--cfg", "4.5", "--steps", "3",
                "--sampler", "euler", "--scheduler", "normal", "--scale", "3", "--filter", "lanczos");
        assertEquals(0, r.code(), r.err());
        png = Files.readAllBytes(small);
        img = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(84, img.getWidth());
        assertEquals(84, img.getHeight());
        assertEquals(Map.of("parameters", "(bag:1.3), coat\nNegative prompt: sneaker\nSteps: 3, Sampler: euler,"
                + " Schedule type: normal, CFG scale: 4.5, Seed: 0, Size: 28x28, Model: tiny-eps"), textChunks(png));
    }

    @Test
    void theSameSeedGivesTheSameBytesAndAnotherSeedOtherPixels() throws IOException {
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png"), c = dir.resolve("c.png");
        for (Path p : List.of(a, b)) {
            assertEquals(0, generate(p, "--prompt", "bag", "--seed", "7", "--steps", "4", "--scale", "1").code());
        }
        assertEquals(0, generate(c, "--prompt", "bag", "--seed", "8", "--steps", "4", "--scale", "1").code());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(java.util.Arrays.equals(pixels(a), pixels(c)), "seed 8 must give other pixels than seed 7");
    }

    @Test
    void cfgOneSkipsTheUnconditionalRows() {
        Cli.Result one = generate(dir.resolve("one.png"), "--prompt", "coat", "--cfg", "1", "--steps", "5", "--batch", "3");
        Cli.Result three = generate(dir.resolve("three.png"), "--prompt", "coat", "--cfg", "3", "--steps", "5", "--batch", "3");
        assertEquals(0, one.code(), one.err());
        assertEquals(0, three.code(), three.err());
        // dpmpp_2m: one model evaluation per step either way.
        assertEquals(5, counter(one.out(), "NFE"));
        assertEquals(5, counter(three.out(), "NFE"));
        assertEquals(0, counter(one.out(), "uncond passes"));
        assertEquals(5, counter(three.out(), "uncond passes"));
        // 5 evaluations of 3 images: 15 network rows without guidance, 30 (cond + uncond) with it.
        assertEquals(15, counter(one.out(), "network rows"));
        assertEquals(30, counter(three.out(), "network rows"));
        assertEquals(5, counter(three.out(), "network calls"), "cond and uncond rows go through one batched call");
    }

    /**
     * The fixture's prediction is linear in the class weights y, so guidance with negative N at scale w equals
     * the prompt with weights w P + (1 - w) N and no guidance. At w = 0 the run is the negative branch alone:
     * "sneaker" with negative "bag" is "bag" at cfg 1, exactly, while without a negative it is unconditional.
     * (The fixture clamps most pixels to black, so only the ~10% others can differ: about 80 of 784.)
     */
    @Test
    void theNegativePromptReplacesTheUnconditionalBranch() throws IOException {
        String[] common = {"--seed", "3", "--steps", "8", "--scale", "1", "--sampler", "euler"};
        Path neg = dir.resolve("neg.png"), bag = dir.resolve("bag.png"), plain = dir.resolve("plain.png");
        assertEquals(0, generate(neg, concat(common, "--prompt", "sneaker", "--negative", "bag", "--cfg", "0")).code());
        assertEquals(0, generate(bag, concat(common, "--prompt", "bag", "--cfg", "1")).code());
        assertEquals(0, generate(plain, concat(common, "--prompt", "sneaker", "--cfg", "0")).code());
        assertArrayEquals(pixels(bag), pixels(neg));
        assertTrue(differing(pixels(neg), pixels(plain)) > 40, "without the negative prompt the image must differ");

        // w = 1/2: "sneaker" with negative "bag" is "(sneaker:0.5), (bag:0.5)" unguided, to float rounding.
        Path half = dir.resolve("half.png"), mixed = dir.resolve("mixed.png"), halfPlain = dir.resolve("half-plain.png");
        assertEquals(0, generate(half, concat(common, "--prompt", "sneaker", "--negative", "bag", "--cfg", "0.5")).code());
        assertEquals(0, generate(mixed, concat(common, "--prompt", "(sneaker:0.5), (bag:0.5)", "--cfg", "1")).code());
        assertEquals(0, generate(halfPlain, concat(common, "--prompt", "sneaker", "--cfg", "0.5")).code());
        int[] h = pixels(half), m = pixels(mixed);
        for (int i = 0; i < h.length; i++) {
            // float rounding may move a level across a rounding boundary, never further
            assertTrue(Math.abs(h[i] - m[i]) <= 1, "pixel " + i + ": " + h[i] + " vs " + m[i]);
        }
        assertTrue(differing(h, pixels(halfPlain)) > 20, "without the negative prompt the image must differ");
    }

    /** Pixels whose levels differ by more than 1. */
    private static int differing(int[] a, int[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            if (Math.abs(a[i] - b[i]) > 1) {
                n++;
            }
        }
        return n;
    }

    @Test
    void aBatchIsALabelledGridAndEachWritesEveryImage() throws IOException {
        Path out = dir.resolve("grid.png");
        Cli.Result r = generate(out, "--prompt", "dress", "--batch", "3", "--each", "--scale", "2", "--steps", "3",
                "--seed", "5");
        assertEquals(0, r.code(), r.err());
        BufferedImage grid = ImageIO.read(out.toFile());
        assertTrue(grid.getWidth() > 2 * 56 && grid.getHeight() > 2 * 56, grid.getWidth() + "x" + grid.getHeight());
        String params = "dress\nSteps: 3, Sampler: dpmpp_2m, Schedule type: karras, CFG scale: 3, Seed: 5, Size: 28x28,"
                + " Model: tiny-eps, Batch size: 3";
        assertEquals(Map.of("parameters", params), textChunks(Files.readAllBytes(out)));
        for (int i = 1; i <= 3; i++) {
            Path each = dir.resolve("grid-" + i + ".png");
            BufferedImage img = ImageIO.read(each.toFile());
            assertEquals(56, img.getWidth());
            assertEquals(56, img.getHeight());
            assertEquals(Map.of("parameters", params + ", Batch pos: " + (i - 1)), textChunks(Files.readAllBytes(each)));
        }
        // Image 2 of the batch is the second row of the batch's noise: not a copy of image 1.
        assertFalse(java.util.Arrays.equals(pixels(dir.resolve("grid-1.png")), pixels(dir.resolve("grid-2.png"))));
    }

    @Test
    void aFlowModelAndAModelFolderPathWork() throws IOException {
        Path out = dir.resolve("flow.png");
        Cli.Result r = Cli.run("generate", "--model", fixtures.resolve("tiny-flow").toString(), "--prompt", "trouser",
                "--steps", "4", "--scale", "1", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(textChunks(Files.readAllBytes(out)).get("parameters").endsWith("Model: tiny-flow"));
    }

    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of("unknown class 'sneakr' in prompt 'sneakr'; the classes are: t-shirt, trouser", List.of("--prompt", "sneakr")),
                Arguments.of("--negative: unknown class 'shoe'", List.of("--prompt", "bag", "--negative", "shoe")),
                Arguments.of("--model 'nope' is not a model; available models: tiny-eps, tiny-flow", List.of("--model", "nope")),
                Arguments.of("--model './missing': no such folder", List.of("--model", "./missing")),
                Arguments.of("--steps 0 is not allowed", List.of("--steps", "0")),
                Arguments.of("--cfg NaN is not allowed", List.of("--cfg", "NaN")),
                Arguments.of("--cfg -1.0 is not allowed", List.of("--cfg", "-1")),
                Arguments.of("--cfg Infinity is not allowed", List.of("--cfg", "Infinity")),
                Arguments.of("--batch 0 is not allowed", List.of("--batch", "0")),
                Arguments.of("--scale 0 is not allowed", List.of("--scale", "0")),
                Arguments.of("--threads -1 is not allowed", List.of("--threads", "-1")),
                Arguments.of("unknown filter 'box'; allowed: nearest, bilinear, lanczos", List.of("--filter", "box")),
                Arguments.of("unknown device 'tpu'; allowed: cpu, cuda", List.of("--device", "tpu")),
                Arguments.of("CUDA is unavailable in this build", List.of("--device", "cuda")),
                Arguments.of("unknown sampler 'nope'", List.of("--sampler", "nope")),
                Arguments.of("unknown scheduler 'nope'", List.of("--scheduler", "nope")),
                Arguments.of("eta", List.of("--sampler", "euler_ancestral", "-P", "eta=-1")),
                Arguments.of("--each needs --batch", List.of("--each")),
                Arguments.of("'abc' is not an int", List.of("--steps", "abc")));
    }

    @ParameterizedTest
    @MethodSource("badInputs")
    void badInputIsOneLineExitTwoAndNoFile(String expected, List<String> args) throws IOException {
        Path out = dir.resolve("bad.png");
        Cli.Result r = generate(out, args.toArray(String[]::new));
        assertEquals(Main.USAGE, r.code(), r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in: " + r.err());
        assertFalse(Files.exists(out));
        assertEquals("", r.out());
        // an existing file is left as it was
        Files.writeString(out, "keep");
        assertEquals(Main.USAGE, generate(out, args.toArray(String[]::new)).code());
        assertEquals("keep", Files.readString(out));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(out), s.toList(), "no temporary or extra files");
        }
    }

    @Test
    void badOutputPathsAreUsageErrors() throws IOException {
        Files.createDirectory(dir.resolve("folder.png"));
        String[][] cases = {{dir.resolve("image.jpg").toString(), "must name a .png file"},
                {dir.resolve("folder.png").toString(), "is a folder"},
                {dir.resolve("missing/x.png").toString(), "does not exist"}};
        for (String[] c : cases) {
            Cli.Result r = Cli.run("generate", "--model", "tiny-eps", "--prompt", "bag", "-o", c[0]);
            assertEquals(Main.USAGE, r.code(), r.err());
            assertEquals(1, r.errLines(), r.err());
            assertTrue(r.err().contains(c[1]), r.err());
        }
        assertFalse(Files.exists(dir.resolve("image.jpg")));
        assertFalse(Files.exists(dir.resolve("missing")));
    }

    /** The real built-in model, when the repository's models/ folder has it. */
    @Test
    void theBuiltInModelGeneratesASneaker() throws IOException {
        Path model = Path.of("..", "models", "fashion-eps");
        Assumptions.assumeTrue(Files.isRegularFile(model.resolve("model.json")) && Files.isRegularFile(model.resolve("model.onnx")),
                "models/fashion-eps is absent; skipping the built-in model test");
        Path out = dir.resolve("sneaker.png");
        Cli.Result r = Cli.run("generate", "--model", model.toString(), "--prompt", "sneaker", "--seed", "42", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        BufferedImage img = ImageIO.read(out.toFile());
        assertEquals(224, img.getWidth());
        assertEquals(224, img.getHeight());
        assertEquals("sneaker\nSteps: 20, Sampler: dpmpp_2m, Schedule type: karras, CFG scale: 3, Seed: 42, Size: 28x28,"
                + " Model: fashion-eps", textChunks(Files.readAllBytes(out)).get("parameters"));
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    /** The number after "NAME " in the summary line. */
    private static long counter(String out, String name) {
        Matcher m = Pattern.compile(Pattern.quote(name) + " (\\d+)").matcher(out);
        assertTrue(m.find(), "no '" + name + "' in: " + out);
        return Long.parseLong(m.group(1));
    }

    private static int[] pixels(Path png) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        return img.getRaster().getPixels(0, 0, img.getWidth(), img.getHeight(), (int[]) null);
    }

    /** The tEXt chunks of a PNG by keyword (CRC not checked: ImageIO reads the file above). */
    static Map<String, String> textChunks(byte[] png) {
        Map<String, String> out = new LinkedHashMap<>();
        ByteBuffer b = ByteBuffer.wrap(png);
        b.position(8);
        while (b.remaining() >= 12) {
            int len = b.getInt();
            byte[] type = new byte[4];
            b.get(type);
            byte[] data = new byte[len];
            b.get(data);
            b.getInt();
            if (new String(type, StandardCharsets.US_ASCII).equals("tEXt")) {
                int zero = 0;
                while (data[zero] != 0) {
                    zero++;
                }
                out.put(new String(data, 0, zero, StandardCharsets.ISO_8859_1),
                        new String(data, zero + 1, len - zero - 1, StandardCharsets.ISO_8859_1));
            }
        }
        return out;
    }
}
