package dev.stepwise.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.core.model.BetaSchedule;
import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.FlowSampling;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.model.Prediction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model folder's {@code model.json}: name, prediction type, noise schedule, image shape and pixel range, class
 * vocabulary with synonyms, and the ONNX file. Schedules: {@code {"type": "discrete_vp",
 * "beta_schedule": "scaled_linear", "linear_start": 0.00085, "linear_end": 0.012, "timesteps": 1000}}
 * or {@code {"type": "flow", "shift": 2.0, "multiplier": 1000}} (SD3 shift).
 */
public record ModelConfig(String name, Prediction prediction, ModelSampling sampling, int[] sampleShape,
                          PixelRange pixelRange, List<String> classes, Map<String, String> synonyms, Path onnxFile) {

    /**
     * The values the network's images take ({@code image.pixel_range}, default [-1, 1]): pixel byte 0 is
     * {@code low}, 255 is {@code high}.
     */
    public record PixelRange(double low, double high) {
        public static final PixelRange SIGNED = new PixelRange(-1, 1);

        public PixelRange {
            if (!(Double.isFinite(low) && Double.isFinite(high) && low < high)) {
                throw new IllegalArgumentException("pixel_range [" + low + ", " + high + "] must be two finite numbers, low < high");
            }
        }

        /**
         * A stored pixel byte (0..255) as the network sees it, in float32 as the training script computes it:
         * v / (255 / (high - low)) + low, which for [-1, 1] is v / 127.5 - 1 (tools/train/common.py to_tensor).
         */
        public float value(int pixel) {
            return pixel / (float) (255 / (high - low)) + (float) low;
        }
    }

    public ModelConfig {
        sampleShape = sampleShape.clone();
        classes = List.copyOf(classes);
        synonyms = Collections.unmodifiableMap(new LinkedHashMap<>(synonyms));
    }

    @Override
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** Reads {@code dir/model.json}; every problem is reported as one line naming the file and the field. */
    public static ModelConfig read(Path dir) {
        Path json = dir.resolve("model.json");
        if (!Files.isRegularFile(json)) {
            throw new IllegalArgumentException("model folder " + dir + " has no model.json");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(json + " is not valid JSON: " + e.getMessage(), e);
        }
        try {
            return parse(root, dir);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(json + ": " + e.getMessage(), e);
        }
    }

    static ModelConfig parse(JsonNode root, Path dir) {
        String name = root.path("name").asText(dir.getFileName() == null ? "model" : dir.getFileName().toString());
        Prediction prediction = Prediction.parse(text(root, "prediction"));
        ModelSampling sampling = sampling(required(root, "schedule"), prediction);

        JsonNode image = required(root, "image");
        int[] shape = {positiveInt(image, "channels"), positiveInt(image, "height"), positiveInt(image, "width")};
        PixelRange range = pixelRange(image);

        List<String> classes = new ArrayList<>();
        for (JsonNode c : required(root, "classes")) {
            classes.add(c.asText());
        }
        if (classes.isEmpty()) {
            throw new IllegalArgumentException("'classes' is empty; a class-conditional model needs its labels");
        }
        Map<String, String> synonyms = new LinkedHashMap<>();
        JsonNode syn = root.path("synonyms");
        for (Map.Entry<String, JsonNode> e : syn.properties()) {
            String target = e.getValue().asText();
            if (!classes.contains(target)) {
                throw new IllegalArgumentException("synonym '" + e.getKey() + "' points to '" + target
                        + "', which is not one of the classes " + classes);
            }
            synonyms.put(e.getKey(), target);
        }
        String file = root.path("onnx").path("file").asText("model.onnx");
        return new ModelConfig(name, prediction, sampling, shape, range, classes, synonyms, dir.resolve(file));
    }

    private static ModelSampling sampling(JsonNode s, Prediction prediction) {
        String type = text(s, "type");
        switch (type) {
            case "discrete_vp" -> {
                if (prediction == Prediction.FLOW) {
                    throw new IllegalArgumentException("prediction 'flow' needs a schedule of type 'flow'");
                }
                BetaSchedule betas = BetaSchedule.parse(s.path("beta_schedule").asText("scaled_linear"));
                return new DiscreteVpSampling(prediction, betas, number(s, "linear_start"), number(s, "linear_end"),
                        s.path("timesteps").asInt(1000), s.path("zero_terminal_snr").asBoolean(false));
            }
            case "flow" -> {
                if (prediction != Prediction.FLOW) {
                    throw new IllegalArgumentException("a 'flow' schedule needs prediction 'flow', not '"
                            + prediction.id() + "'");
                }
                double shift = s.path("shift").asDouble(1.0);
                double multiplier = s.path("multiplier").asDouble(1000);
                return new FlowSampling(FlowSampling.Shift.SD3, shift, multiplier, 1000);
            }
            default -> throw new IllegalArgumentException("unknown schedule type '" + type
                    + "'; allowed: discrete_vp, flow");
        }
    }

    private static PixelRange pixelRange(JsonNode image) {
        JsonNode r = image.get("pixel_range");
        if (r == null || r.isNull()) {
            return PixelRange.SIGNED;
        }
        if (!r.isArray() || r.size() != 2 || !r.get(0).isNumber() || !r.get(1).isNumber()) {
            throw new IllegalArgumentException("field 'pixel_range' must be two numbers [low, high], such as [-1, 1]");
        }
        return new PixelRange(r.get(0).asDouble(), r.get(1).asDouble());
    }

    private static JsonNode required(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        return v;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = required(n, field);
        if (!v.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' must be a string");
        }
        return v.asText();
    }

    private static double number(JsonNode n, String field) {
        JsonNode v = required(n, field);
        if (!v.isNumber()) {
            throw new IllegalArgumentException("field '" + field + "' must be a number");
        }
        return v.asDouble();
    }

    private static int positiveInt(JsonNode n, String field) {
        JsonNode v = required(n, field);
        if (!v.canConvertToInt() || v.asInt() < 1) {
            throw new IllegalArgumentException("field '" + field + "' must be a positive integer");
        }
        return v.asInt();
    }
}
