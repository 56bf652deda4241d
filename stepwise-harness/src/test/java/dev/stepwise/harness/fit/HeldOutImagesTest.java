package dev.stepwise.harness.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.io.Npy;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.ModelConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Held-out images: the descriptor, a plain .npy with labels, their checks against the model, the pixel mapping. */
class HeldOutImagesTest {
    @TempDir
    Path dir;

    static final ModelConfig TINY = ModelConfig.read(ErrorCurvesTest.fixture("tiny-eps"));

    /** A uint8 .npy as numpy's np.save writes it. */
    static void uint8(Path file, String shape, byte[] data) throws IOException {
        String dict = "{'descr': '|u1', 'fortran_order': False, 'shape': " + shape + ", }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] header = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[10 + header.length + data.length];
        System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) header.length, 0}, 0, out, 0, 10);
        System.arraycopy(header, 0, out, 10, header.length);
        System.arraycopy(data, 0, out, 10 + header.length, data.length);
        Files.write(file, out);
    }

    static byte[] pixels(int n) {
        byte[] b = new byte[n * 784];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 7);
        }
        return b;
    }

    @Test
    void aNpyWithLabelsInEitherShape() throws IOException {
        uint8(dir.resolve("a.npy"), "(3, 28, 28)", pixels(3));
        uint8(dir.resolve("b.npy"), "(3, 1, 28, 28)", pixels(3));
        uint8(dir.resolve("labels.npy"), "(3,)", new byte[] {9, 0, 4});
        HeldOutImages a = HeldOutImages.read(dir.resolve("a.npy"), dir.resolve("labels.npy"), TINY);
        HeldOutImages b = HeldOutImages.read(dir.resolve("b.npy"), null, TINY);
        assertEquals(3, a.count());
        assertEquals("a.npy", a.description());
        assertArrayEquals(new int[] {1, 28, 28}, a.rowShape());
        assertTrue(a.hasLabels());
        assertFalse(b.hasLabels());
        assertEquals(Conditioning.label(9, 10), a.condition(0, 10));
        assertEquals(4, a.label(2));
        assertArrayEquals(a.values(3, TINY.pixelRange()), b.values(3, TINY.pixelRange()), 0f);
    }

    /** Bytes become v / 127.5 - 1 in float32, as tools/train/common.py's to_tensor makes them for training. */
    @Test
    void pixelsMapToTheModelsRangeAsTrainingDid() {
        byte[] all = new byte[784];
        for (int i = 0; i < 784; i++) {
            all[i] = (byte) (i % 256);
        }
        HeldOutImages h = new HeldOutImages("all bytes", new int[] {1, 28, 28}, all, null);
        float[] v = h.values(1, TINY.pixelRange());
        for (int i = 0; i < 784; i++) {
            assertEquals(Float.floatToIntBits((i % 256) / 127.5f - 1f), Float.floatToIntBits(v[i]), "byte " + (i % 256));
        }
        assertEquals(-1f, v[0], 0);
        assertEquals(1f, v[255], 0);
        float[] unit = h.values(1, new ModelConfig.PixelRange(0, 1));
        assertEquals(0f, unit[0], 0);
        assertEquals(1f, unit[255], 0);
        assertEquals(128 / 255f, unit[128], 0);
    }

    @Test
    void aDescriptorNamesItsFilesRelativeToItself() throws IOException {
        Path data = Files.createDirectory(dir.resolve("data"));
        uint8(data.resolve("img.npy"), "(2, 28, 28)", pixels(2));
        uint8(data.resolve("lab.npy"), "(2,)", new byte[] {1, 2});
        Path model = Files.createDirectory(dir.resolve("model"));
        Files.writeString(model.resolve(HeldOutImages.FILE), "{\"format\": \"stepwise-heldout\", \"version\": 1,"
                + " \"images\": \"../data/img.npy\", \"labels\": \"../data/lab.npy\", \"data\": \"two test images\"}");
        HeldOutImages h = HeldOutImages.forModel(model, TINY, "--heldout");
        assertEquals("two test images", h.description());
        assertEquals(2, h.label(1));
        HeldOutImages again = HeldOutImages.read(model, null, TINY);
        assertEquals(h.count(), again.count());
        Files.writeString(data.resolve(HeldOutImages.FILE), "{\"format\": \"stepwise-heldout\", \"version\": 1,"
                + " \"images\": \"img.npy\"}");
        HeldOutImages plain = HeldOutImages.read(data.resolve(HeldOutImages.FILE), null, TINY);
        assertEquals("img.npy", plain.description());
        assertFalse(plain.hasLabels());
    }

    /** The shipped copy of Fashion-MNIST's test images, which the built-in models name. */
    @Test
    void theBuiltInModelsNameTheShippedHeldOutImages() {
        Path models = Path.of("..", "models");
        Assumptions.assumeTrue(Files.isRegularFile(models.resolve("fashion-eps").resolve(HeldOutImages.FILE)),
                "models/ is absent; skipping");
        for (String name : new String[] {"fashion-eps", "fashion-flow"}) {
            ModelConfig config = ModelConfig.read(models.resolve(name));
            HeldOutImages h = HeldOutImages.forModel(models.resolve(name), config, "--heldout");
            assertEquals(1000, h.count());
            assertTrue(h.hasLabels());
            assertEquals("Fashion-MNIST test split (t10k), its first 1000 images", h.description());
            int[] perClass = new int[10];
            for (int i = 0; i < h.count(); i++) {
                perClass[h.label(i)]++;
            }
            // tools/train/export_heldout.py printed these counts when it wrote the files.
            assertArrayEquals(new int[] {107, 105, 111, 93, 115, 87, 97, 95, 95, 95}, perClass);
            assertEquals(9, h.label(0), "the test split's first image is an ankle boot");
        }
    }

    private String error(Path source, Path labels) {
        String m = assertThrows(IllegalArgumentException.class, () -> HeldOutImages.read(source, labels, TINY)).getMessage();
        assertEquals(1, m.lines().count(), m);
        return m;
    }

    @Test
    void everyProblemIsOneLineNamingTheFile() throws IOException {
        Path good = dir.resolve("good.npy"), labels = dir.resolve("labels.npy");
        uint8(good, "(2, 28, 28)", pixels(2));
        uint8(labels, "(2,)", new byte[] {0, 1});
        Path wrongShape = dir.resolve("wrong.npy");
        uint8(wrongShape, "(2, 14, 56)", pixels(2));
        assertEquals(wrongShape + " has shape [2, 14, 56]; tiny-eps needs uint8 images [N, 1, 28, 28] or [N, 28, 28]",
                error(wrongShape, null));
        Path rgb = dir.resolve("rgb.npy");
        uint8(rgb, "(1, 3, 28, 28)", new byte[3 * 784]);
        assertTrue(error(rgb, null).contains("has shape [1, 3, 28, 28]"));
        Path floats = dir.resolve("floats.npy");
        Npy.write(Tensor.zeros(2, 28, 28), floats);
        assertEquals(floats + " holds dtype <f4; expected uint8 (|u1)", error(floats, null));
        Path missing = dir.resolve("missing.npy");
        assertEquals("images " + missing + " does not exist", error(missing, null));
        Path notNpy = dir.resolve("text.npy");
        Files.writeString(notNpy, "hello");
        assertEquals(notNpy + " is not a .npy file (bad magic)", error(notNpy, null));
        Path three = dir.resolve("three.npy");
        uint8(three, "(3,)", new byte[] {0, 1, 2});
        assertEquals(three + " holds 3 labels for the 2 images of " + good + "; give one label per image", error(good, three));
        Path big = dir.resolve("big.npy");
        uint8(big, "(2,)", new byte[] {0, 10});
        assertEquals(big + ": label 10 at index 1 is not a class of tiny-eps; allowed: 0..9", error(good, big));
        Path square = dir.resolve("square.npy");
        uint8(square, "(2, 1)", new byte[] {0, 1});
        assertEquals(square + " has shape [2, 1]; labels are uint8 [N], one per image", error(good, square));
        Path folder = Files.createDirectory(dir.resolve("empty"));
        assertEquals("held-out descriptor " + folder.resolve(HeldOutImages.FILE) + " does not exist", error(folder, null));
        assertEquals("model tiny-eps (" + folder + ") has no held-out images (no heldout.json); give some with --heldout"
                + " DIR|FILE.npy (uint8 [N, H, W] or [N, C, H, W])", assertThrows(IllegalArgumentException.class,
                () -> HeldOutImages.forModel(folder, TINY, "--heldout")).getMessage());
        Path json = dir.resolve("h.json");
        Files.writeString(json, "{\"format\": \"stepwise-heldout\", \"version\": 1, \"images\": \"good.npy\", \"colour\": 1}");
        assertEquals(json + ": unknown key 'colour'; allowed: format, version, images, labels, data", error(json, null));
        Files.writeString(json, "{\"format\": \"stepwise-heldout\", \"version\": 2, \"images\": \"good.npy\"}");
        assertEquals(json + ": version 2 is not allowed; version 1 is read", error(json, null));
        Files.writeString(json, "{\"format\": \"something\"}");
        assertEquals(json + ": expected a JSON object with \"format\": \"stepwise-heldout\"", error(json, null));
        Files.writeString(json, "{\"format\": \"stepwise-heldout\", \"version\": 1}");
        assertEquals(json + ": missing field 'images'", error(json, null));
        Files.writeString(json, "{\"format\": ");
        assertTrue(error(json, null).startsWith(json + " is not valid JSON"));
        Files.writeString(json, "{\"format\": \"stepwise-heldout\", \"version\": 1, \"images\": \"good.npy\"}");
        assertEquals("labels " + labels + " given with " + json + ", which names its own; give labels only with a .npy of"
                + " images", error(json, labels));
        Files.writeString(json, "{\"format\": \"stepwise-heldout\", \"version\": 1, \"images\": \"empty\"}");
        assertEquals("images " + folder + " is a folder; give a .npy file", error(json, null));
    }
}
