package dev.stepwise.harness.fit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.onnx.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Images a model was not trained on, as stored: uint8 pixels [N, H, W] or [N, C, H, W] and, optionally, their
 * class labels uint8 [N]. A model folder names its own in {@code heldout.json} (the built-in models point at
 * {@code models/heldout/}, a copy of Fashion-MNIST's test images made by tools/train/export_heldout.py, so the
 * product never reads the dataset itself):
 * <pre>{@code
 * {"format": "stepwise-heldout", "version": 1, "images": "../heldout/fashion-mnist-test.npy",
 *  "labels": "../heldout/fashion-mnist-test-labels.npy", "data": "Fashion-MNIST test split (t10k), ..."}
 * }</pre>
 * with paths relative to the file; {@code labels} and {@code data} are optional.
 *
 * @param description what the images are, for the curve's {@code data} field
 * @param rowShape    one image's shape [C, H, W]
 * @param pixels      all images' bytes in C order (kept, not copied: a held-out set is large and read only)
 * @param labels      each image's class, or null when there are none
 */
public record HeldOutImages(String description, int[] rowShape, byte[] pixels, int[] labels) {
    /** The descriptor's name in a model folder (or any folder given as held-out data). */
    public static final String FILE = "heldout.json";
    /** The descriptor's {@code format} value. */
    public static final String FORMAT = "stepwise-heldout";
    private static final List<String> KEYS = List.of("format", "version", "images", "labels", "data");
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public HeldOutImages {
        rowShape = rowShape.clone();
        labels = labels == null ? null : labels.clone();
    }

    @Override
    public int[] rowShape() {
        return rowShape.clone();
    }

    /** Number of images. */
    public int count() {
        return pixels.length / rowSize();
    }

    /** Values per image. */
    public int rowSize() {
        int n = 1;
        for (int d : rowShape) {
            n *= d;
        }
        return n;
    }

    public boolean hasLabels() {
        return labels != null;
    }

    /** Image {@code i}'s class label. */
    public int label(int i) {
        return labels[i];
    }

    /** The first {@code n} images as the network sees them, row after row, in the model's pixel range. */
    public float[] values(int n, ModelConfig.PixelRange range) {
        float[] table = new float[256];
        for (int v = 0; v < 256; v++) {
            table[v] = range.value(v);
        }
        float[] out = new float[n * rowSize()];
        for (int i = 0; i < out.length; i++) {
            out[i] = table[Byte.toUnsignedInt(pixels[i])];
        }
        return out;
    }

    /** Image {@code i}'s true class as the network's one-hot conditioning. */
    public Conditioning condition(int i, int classes) {
        return Conditioning.label(labels[i], classes);
    }

    /**
     * The held-out images a model folder names in its {@code heldout.json}.
     *
     * @throws IllegalArgumentException when the folder has none (naming the option that gives them), or as {@link #read}
     */
    public static HeldOutImages forModel(Path modelDir, ModelConfig config, String option) {
        Path descriptor = modelDir.resolve(FILE);
        if (!Files.isRegularFile(descriptor)) {
            throw new IllegalArgumentException("model " + config.name() + " (" + modelDir + ") has no held-out images (no "
                    + FILE + "); give some with " + option + " DIR|FILE.npy (uint8 [N, H, W] or [N, C, H, W])");
        }
        return read(descriptor, null, config);
    }

    /**
     * Held-out images from a descriptor ({@code heldout.json}, or a folder holding one) or a uint8 .npy file, checked
     * against the model: its image shape, and labels (when given) one per image within its classes.
     *
     * @param source a folder holding heldout.json, a .json descriptor, or a .npy of uint8 images
     * @param labels with a .npy {@code source}: a uint8 [N] .npy of labels, or null for none; must be null otherwise
     * @throws IllegalArgumentException of one line naming the file and the problem
     */
    public static HeldOutImages read(Path source, Path labels, ModelConfig config) {
        Path file = Files.isDirectory(source) ? source.resolve(FILE) : source;
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        if (name.endsWith(".json")) {
            if (labels != null) {
                throw new IllegalArgumentException("labels " + labels + " given with " + file + ", which names its own;"
                        + " give labels only with a .npy of images");
            }
            return descriptor(file, config);
        }
        Npy.UInt8 images = uint8(file, "images");
        int[] classes = labels == null ? null : labels(labels, uint8(labels, "labels"), config);
        return checked(name, file, images, classes, labels, config);
    }

    private static HeldOutImages descriptor(Path file, ModelConfig config) {
        JsonNode root;
        try {
            root = JSON.readTree(readBytes(file, "held-out descriptor"));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject() || !FORMAT.equals(root.path("format").asText(null))) {
            throw new IllegalArgumentException(file + ": expected a JSON object with \"format\": \"" + FORMAT + "\"");
        }
        if (!root.path("version").isIntegralNumber() || root.path("version").asLong() != 1) {
            throw new IllegalArgumentException(file + ": version " + root.get("version") + " is not allowed; version 1 is read");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException(file + ": unknown key '" + key + "'; allowed: " + String.join(", ", KEYS));
            }
        }
        Path dir = file.toAbsolutePath().getParent();
        String images = text(file, root, "images", true), labels = text(file, root, "labels", false);
        String data = text(file, root, "data", false);
        Path imagesFile = dir.resolve(images), labelsFile = labels == null ? null : dir.resolve(labels);
        Npy.UInt8 pixels = uint8(imagesFile, "images");
        int[] classes = labelsFile == null ? null : labels(labelsFile, uint8(labelsFile, "labels"), config);
        String description = data != null ? data : imagesFile.getFileName().toString();
        return checked(description, imagesFile, pixels, classes, labelsFile, config);
    }

    private static String text(Path file, JsonNode root, String field, boolean required) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException(file + ": missing field '" + field + "'");
            }
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException(file + ": '" + field + "' must be a non-empty string, got " + v);
        }
        return v.asText();
    }

    private static byte[] readBytes(Path file, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(what + " " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + what + " " + file + ": " + e.getMessage());
        }
    }

    private static Npy.UInt8 uint8(Path file, String what) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(what + " " + file + " is a folder; give a .npy file");
        }
        try {
            return Npy.readUInt8(new java.io.ByteArrayInputStream(readBytes(file, what)), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    private static int[] labels(Path file, Npy.UInt8 labels, ModelConfig config) {
        if (labels.shape().length != 1) {
            throw new IllegalArgumentException(file + " has shape " + Arrays.toString(labels.shape())
                    + "; labels are uint8 [N], one per image");
        }
        byte[] b = labels.data();
        int[] out = new int[b.length];
        int classes = config.classes().size();
        for (int i = 0; i < b.length; i++) {
            out[i] = Byte.toUnsignedInt(b[i]);
            if (out[i] >= classes) {
                throw new IllegalArgumentException(file + ": label " + out[i] + " at index " + i + " is not a class of "
                        + config.name() + "; allowed: 0.." + (classes - 1));
            }
        }
        return out;
    }

    private static HeldOutImages checked(String description, Path file, Npy.UInt8 images, int[] labels, Path labelsFile,
                                         ModelConfig config) {
        int[] model = config.sampleShape(), s = images.shape();
        boolean fits = (s.length == 3 && model[0] == 1 && s[1] == model[1] && s[2] == model[2])
                || (s.length == 4 && s[1] == model[0] && s[2] == model[1] && s[3] == model[2]);
        if (!fits) {
            throw new IllegalArgumentException(file + " has shape " + Arrays.toString(s) + "; " + config.name()
                    + " needs uint8 images [N, " + model[0] + ", " + model[1] + ", " + model[2] + "]"
                    + (model[0] == 1 ? " or [N, " + model[1] + ", " + model[2] + "]" : ""));
        }
        if (labels != null && labels.length != s[0]) {
            throw new IllegalArgumentException(labelsFile + " holds " + labels.length + " labels for the " + s[0]
                    + " images of " + file + "; give one label per image");
        }
        return new HeldOutImages(description, model, images.data(), labels);
    }
}
