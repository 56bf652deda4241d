package dev.stepwise.harness.fit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.io.TextFiles;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.schedule.ListScheduler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A schedule file: a sigma list fitted to one model (by VRG, GITS or by hand), which every command and plan takes
 * as the scheduler {@code file:PATH}.
 * <pre>{@code
 * {"format": "stepwise-schedule", "version": 1,
 *  "method": "vrg", "model": "fashion-eps", "sampling": "discrete VP, eps prediction, ...",
 *  "sigma_min": 0.0292, "sigma_max": 14.61, "sampler": "dpmpp_2m", "steps": 4, "base": "karras",
 *  "sigmas": [14.61, 3.2, 0.9, 0.21, 0], "details": {"objective_before": 0.31, ...}}
 * }</pre>
 * {@code sampling}, {@code sigma_min} and {@code sigma_max} are the model's ({@link ModelSampling#describe()} and its
 * range): a file is used only on a model of the same sigma range (the same family with other weights is fine).
 * {@code sampler} (the sampler it was fitted for) and {@code base} (the schedule the fit started from) may be null;
 * {@code details} is the method's provenance, any JSON object. The list has {@code steps + 1} finite values,
 * strictly decreasing, the last exactly 0, none above {@code sigma_max}. A record always holds a valid schedule:
 * the constructor checks it, and {@link #read} adds the file and the field to each message.
 *
 * @param method   what made the list: "vrg", "gits", "custom", ...
 * @param model    the name of the model it was fitted on
 * @param sampling that model's {@link ModelSampling#describe()} line
 * @param sigmaMin that model's smallest sigma
 * @param sigmaMax that model's largest sigma
 * @param sampler  the sampler it was fitted for, or null
 * @param base     the schedule the fit started from ("karras"), or null
 * @param sigmas   the list, steps + 1 values ending in 0
 * @param details  the method's provenance (curve file, objective before and after, optimiser settings)
 */
public record ScheduleFile(String method, String model, String sampling, double sigmaMin, double sigmaMax,
                           String sampler, String base, double[] sigmas, ObjectNode details) {
    public static final String FORMAT = "stepwise-schedule";
    public static final int VERSION = 1;
    /** The keys, in the order files are written and messages list them. */
    public static final List<String> KEYS = List.of("format", "version", "method", "model", "sampling", "sigma_min",
            "sigma_max", "sampler", "steps", "base", "sigmas", "details");
    /** How far a file's sigma range may be from a model's (relative) and still be that model's. */
    public static final double RANGE_TOLERANCE = 1e-6;

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** @throws IllegalArgumentException naming the first bad field and what is allowed */
    public ScheduleFile {
        method = text("method", method);
        model = text("model", model);
        sampling = text("sampling", sampling);
        sampler = sampler == null ? null : text("sampler", sampler);
        base = base == null ? null : text("base", base);
        if (!(Double.isFinite(sigmaMin) && sigmaMin > 0)) {
            throw new IllegalArgumentException("sigma_min = " + sigmaMin + " must be a finite number > 0");
        }
        if (!(Double.isFinite(sigmaMax) && sigmaMax > sigmaMin)) {
            throw new IllegalArgumentException("sigma_max = " + sigmaMax + " must be finite and above sigma_min = " + sigmaMin);
        }
        Objects.requireNonNull(sigmas, "sigmas");
        try {
            new ListScheduler(sigmas);   // finite, >= 0, strictly decreasing, ending in 0
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sigmas: " + e.getMessage());
        }
        if (above(sigmas[0], sigmaMax)) {
            throw new IllegalArgumentException("sigmas[0] = " + sigmas[0] + " is above the file's sigma_max = " + sigmaMax);
        }
        sigmas = sigmas.clone();
        details = details == null ? JsonNodeFactory.instance.objectNode() : details.deepCopy();
    }

    /**
     * A schedule fitted on a model: its sampling line and sigma range are taken from {@code sampling}.
     *
     * @param modelName the model's name, as commands name it ("fashion-eps")
     */
    public static ScheduleFile of(String method, String modelName, ModelSampling sampling, String sampler, String base,
                                  double[] sigmas, ObjectNode details) {
        return new ScheduleFile(method, modelName, sampling.describe(), sampling.sigmaMin(), sampling.sigmaMax(), sampler,
                base, sigmas, details);
    }

    /** The list's step count: its length - 1. */
    public int steps() {
        return sigmas.length - 1;
    }

    @Override
    public double[] sigmas() {
        return sigmas.clone();
    }

    @Override
    public ObjectNode details() {
        return details.deepCopy();
    }

    /** The list as a scheduler: exact at {@link #steps()}, log-linearly resampled at other step counts. */
    public ListScheduler scheduler() {
        return new ListScheduler(sigmas);
    }

    /** The same schedule without its details (what a plan keeps: provenance decides nothing about a run). */
    public ScheduleFile withoutDetails() {
        return new ScheduleFile(method, model, sampling, sigmaMin, sigmaMax, sampler, base, sigmas, null);
    }

    /**
     * Refuses to run the list on a model it was not fitted for: one whose sigma range differs from the file's by more
     * than {@link #RANGE_TOLERANCE} (relative), or whose sigma_max the list goes above.
     *
     * @param modelName names the model in the message
     * @throws IllegalArgumentException one line naming both models and their ranges
     */
    public void checkFits(String modelName, ModelSampling on) {
        if (!close(sigmaMin, on.sigmaMin()) || !close(sigmaMax, on.sigmaMax())) {
            throw new IllegalArgumentException("fitted on model '" + model + "' (sigma " + range(sigmaMin, sigmaMax)
                    + ") but model '" + modelName + "' has sigma " + range(on.sigmaMin(), on.sigmaMax())
                    + "; a schedule file runs only on a model of the sigma range it was fitted on");
        }
        if (above(sigmas[0], on.sigmaMax())) {
            throw new IllegalArgumentException("its first sigma " + sigmas[0] + " is above model '" + modelName
                    + "''s sigma_max " + on.sigmaMax());
        }
    }

    private static boolean close(double a, double b) {
        return Math.abs(a - b) <= RANGE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
    }

    private static boolean above(double sigma, double max) {
        return sigma > max * (1 + RANGE_TOLERANCE);
    }

    private static String range(double lo, double hi) {
        return String.format(Locale.ROOT, "%.6g..%.6g", lo, hi);
    }

    private static String text(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " = " + (value == null ? "null" : "\"" + value + "\"")
                    + " must be non-empty text");
        }
        return value;
    }

    // ---------------------------------------------------------------------------------------------------
    // JSON

    /**
     * Reads and checks a schedule file.
     *
     * @throws IllegalArgumentException one line naming the file and the problem: missing, unreadable, not text, not
     *                                  JSON, another format or version, a missing, unknown or mistyped field, a list
     *                                  that is not a schedule
     */
    public static ScheduleFile read(Path file) {
        String source = "schedule file '" + file + "'";
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(source + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + source + ": " + e.getMessage());
        }
        return parse(bytes, source);
    }

    /** Parses a schedule file's bytes; {@code source} names it in messages ("schedule file 'vrg.json'"). */
    public static ScheduleFile parse(byte[] bytes, String source) {
        TextFiles.decode(bytes, source, "a JSON schedule file");
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            String at = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")";
            String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().strip().lines().findFirst().orElse("");
            throw new IllegalArgumentException(source + " is not valid JSON" + at + ": " + m);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + source + ": " + e.getMessage());
        }
        return fromJson(root, source);
    }

    /** A schedule from its JSON (a file's, or the copy a plan or cell records); {@code source} names it in messages. */
    public static ScheduleFile fromJson(JsonNode root, String source) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + " is not a schedule file: expected a JSON object with \"format\": \""
                    + FORMAT + "\"");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException(source + ": unknown key '" + key + "'; allowed: " + String.join(", ", KEYS));
            }
        }
        JsonNode format = root.get("format");
        if (format == null || !format.isTextual() || !format.textValue().equals(FORMAT)) {
            throw new IllegalArgumentException(source + " is not a schedule file: format is "
                    + (format == null ? "missing" : show(format)) + "; expected \"" + FORMAT + "\"");
        }
        JsonNode version = required(root, "version", source);
        if (!version.isIntegralNumber() || !version.canConvertToInt() || version.intValue() != VERSION) {
            throw new IllegalArgumentException(source + ": version " + show(version) + " is not supported; this Stepwise"
                    + " reads version " + VERSION);
        }
        JsonNode list = required(root, "sigmas", source);
        if (!list.isArray()) {
            throw new IllegalArgumentException(source + ": sigmas is " + show(list) + "; expected a list of numbers");
        }
        double[] sigmas = new double[list.size()];
        for (int i = 0; i < sigmas.length; i++) {
            sigmas[i] = number(list.get(i), "sigmas[" + i + "]", source);
        }
        JsonNode steps = required(root, "steps", source);
        if (!steps.isIntegralNumber() || !steps.canConvertToInt()) {
            throw new IllegalArgumentException(source + ": steps is " + show(steps) + "; expected an integer");
        }
        if (steps.intValue() != sigmas.length - 1) {
            throw new IllegalArgumentException(source + ": steps is " + steps.intValue() + " but sigmas has " + sigmas.length
                    + " values; a list of N steps has N + 1 sigmas");
        }
        JsonNode details = root.get("details");
        if (details != null && !details.isNull() && !details.isObject()) {
            throw new IllegalArgumentException(source + ": details is " + show(details) + "; expected a JSON object");
        }
        try {
            return new ScheduleFile(text(root, "method", source, false), text(root, "model", source, false),
                    text(root, "sampling", source, false), number(required(root, "sigma_min", source), "sigma_min", source),
                    number(required(root, "sigma_max", source), "sigma_max", source), text(root, "sampler", source, true),
                    text(root, "base", source, true), sigmas, details == null || details.isNull() ? null : (ObjectNode) details);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage());
        }
    }

    /** The file's JSON, keys in {@link #KEYS} order. */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("format", FORMAT);
        o.put("version", VERSION);
        o.put("method", method);
        o.put("model", model);
        o.put("sampling", sampling);
        o.put("sigma_min", sigmaMin);
        o.put("sigma_max", sigmaMax);
        o.put("sampler", sampler);
        o.put("steps", steps());
        o.put("base", base);
        ArrayNode list = o.putArray("sigmas");
        for (double s : sigmas) {
            list.add(s);
        }
        o.set("details", details.deepCopy());
        return o;
    }

    /** The file's bytes: indented JSON and a final newline. */
    public byte[] toBytes() {
        try {
            return (JSON.writeValueAsString(toJson()) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a schedule file: " + e.getMessage(), e);
        }
    }

    /** Writes the file atomically (a complete file or the old one, never half of one). */
    public void write(Path file) throws IOException {
        AtomicFiles.write(file, toBytes());
    }

    private static JsonNode required(JsonNode root, String field, String source) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(source + ": missing '" + field + "'; a schedule file needs format, version,"
                    + " method, model, sampling, sigma_min, sigma_max, steps and sigmas");
        }
        return v;
    }

    private static String text(JsonNode root, String field, String source, boolean nullable) {
        JsonNode v = root.get(field);
        if (nullable && (v == null || v.isNull())) {
            return null;
        }
        v = required(root, field, source);
        if (!v.isTextual()) {
            throw new IllegalArgumentException(source + ": " + field + " is " + show(v) + "; expected text"
                    + (nullable ? " or null" : ""));
        }
        return v.textValue();
    }

    private static double number(JsonNode v, String field, String source) {
        if (!v.isNumber()) {
            throw new IllegalArgumentException(source + ": " + field + " is " + show(v) + "; expected a number");
        }
        double d = v.doubleValue();
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException(source + ": " + field + " = " + d + " is not a finite number");
        }
        return d;
    }

    private static String show(JsonNode v) {
        String text = v.toString();
        return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }

    // A record compares arrays by identity; a schedule is its values.

    @Override
    public boolean equals(Object o) {
        return o instanceof ScheduleFile f && method.equals(f.method) && model.equals(f.model)
                && sampling.equals(f.sampling) && Double.compare(sigmaMin, f.sigmaMin) == 0
                && Double.compare(sigmaMax, f.sigmaMax) == 0 && Objects.equals(sampler, f.sampler)
                && Objects.equals(base, f.base) && Arrays.equals(sigmas, f.sigmas) && details.equals(f.details);
    }

    @Override
    public int hashCode() {
        return Objects.hash(method, model, sampling, sigmaMin, sigmaMax, sampler, base, Arrays.hashCode(sigmas), details);
    }

    @Override
    public String toString() {
        return "ScheduleFile[" + method + " on " + model + ", " + steps() + " steps: " + Arrays.toString(sigmas) + "]";
    }
}
