package dev.stepwise.harness.fit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.model.ModelSampling;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A network's prediction-error curve: at each measured noise level sigma, the mean squared error of its noise
 * prediction per value, MSE(sigma) = E ||eps_hat(x_sigma, sigma) - eps||^2 / d over held-out data x0 and fresh
 * noise eps (d values per sample), with a 95 % confidence band of that mean. Variance-reduction guidance (Xu, Liu
 * and Kong 2025, arXiv 2510.21792) weighs a schedule's steps by it. {@link ErrorCurves} measures one.
 *
 * <p>Sigmas are in the model's own units, entries of its {@link ModelSampling#sigmaTable()}: the VE-form
 * sigma = sqrt((1 - alpha_bar) / alpha_bar) of a VP model's training steps, the level s in (0, 1] of a flow model.
 *
 * @param model        the model's name (a misspecified mixture's name says so)
 * @param sampling     the model's {@link ModelSampling#describe()} line
 * @param sigmaMin     the model's smallest noise level
 * @param sigmaMax     the model's largest noise level
 * @param sigmas       the measured levels, strictly ascending, within [sigmaMin, sigmaMax]
 * @param mse          the mean per-value squared error of the eps prediction at each level, >= 0
 * @param low          the lower end of the 95 % band of that mean (mean - 1.96 sd / sqrt(n), clipped at 0)
 * @param high         the upper end (mean + 1.96 sd / sqrt(n))
 * @param samples      samples (images, or mixture draws) per level
 * @param conditioning what the network was conditioned on ("class-conditional: ..." or "unconditional")
 * @param data         what the data was (set, how many, how chosen; for a mixture, the misspecification)
 * @param seed         the run's seed (each level's noise is drawn from a generator seeded from it)
 */
public record ErrorCurve(String model, String sampling, double sigmaMin, double sigmaMax, double[] sigmas,
                         double[] mse, double[] low, double[] high, int samples, String conditioning, String data,
                         long seed) {
    /** The file's {@code format} value. */
    public static final String FORMAT = "stepwise-error-curve";
    /** The file format's version that this code writes and reads. */
    public static final int VERSION = 1;

    /** The file's keys, in the order they are written. */
    static final List<String> KEYS = List.of("format", "version", "model", "sampling", "sigma_min", "sigma_max",
            "samples", "conditioning", "data", "seed", "sigmas", "mse", "low", "high");

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Checks everything a reader checks; a problem is an IllegalArgumentException of one line. */
    public ErrorCurve {
        text("model", model);
        text("sampling", sampling);
        text("conditioning", conditioning);
        text("data", data);
        if (!(sigmaMin > 0 && Double.isFinite(sigmaMax) && sigmaMax > sigmaMin)) {
            throw new IllegalArgumentException("sigma_min " + sigmaMin + " and sigma_max " + sigmaMax
                    + " must be finite with 0 < sigma_min < sigma_max");
        }
        Objects.requireNonNull(sigmas, "sigmas");
        Objects.requireNonNull(mse, "mse");
        Objects.requireNonNull(low, "low");
        Objects.requireNonNull(high, "high");
        if (mse.length != sigmas.length || low.length != sigmas.length || high.length != sigmas.length) {
            throw new IllegalArgumentException("the arrays differ in length: sigmas " + sigmas.length + ", mse " + mse.length
                    + ", low " + low.length + ", high " + high.length + "; each needs one value per level");
        }
        if (sigmas.length < 2) {
            throw new IllegalArgumentException(sigmas.length + " level" + (sigmas.length == 1 ? "" : "s")
                    + "; a curve needs at least 2");
        }
        sigmas = sigmas.clone();
        mse = mse.clone();
        low = low.clone();
        high = high.clone();
        for (int i = 0; i < sigmas.length; i++) {
            if (!(sigmas[i] > 0) || !Double.isFinite(sigmas[i])) {
                throw new IllegalArgumentException("sigmas[" + i + "] = " + sigmas[i] + "; a level must be finite and > 0");
            }
            if (i > 0 && !(sigmas[i] > sigmas[i - 1])) {
                throw new IllegalArgumentException("sigmas[" + i + "] = " + sigmas[i] + " is not above sigmas[" + (i - 1)
                        + "] = " + sigmas[i - 1] + "; levels must be strictly ascending");
            }
            value("mse", i, mse[i]);
            value("low", i, low[i]);
            value("high", i, high[i]);
            if (!(low[i] <= mse[i] && mse[i] <= high[i])) {
                throw new IllegalArgumentException("level " + i + ": mse " + mse[i] + " is not inside its band [" + low[i]
                        + ", " + high[i] + "]");
            }
        }
        // Levels come from the model's table, whose ends are sigma_min and sigma_max; the slack is rounding only.
        if (sigmas[0] < sigmaMin * (1 - 1e-9) || sigmas[sigmas.length - 1] > sigmaMax * (1 + 1e-9)) {
            throw new IllegalArgumentException("levels " + sigmas[0] + ".." + sigmas[sigmas.length - 1]
                    + " lie outside the model's range sigma_min " + sigmaMin + " .. sigma_max " + sigmaMax);
        }
        if (samples < 1) {
            throw new IllegalArgumentException("samples = " + samples + "; at least 1 sample per level is needed");
        }
    }

    private static void text(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("'" + field + "' is empty; it must say what it describes");
        }
    }

    private static void value(String field, int i, double v) {
        if (!(v >= 0) || !Double.isFinite(v)) {
            throw new IllegalArgumentException(field + "[" + i + "] = " + v + "; values must be finite and >= 0");
        }
    }

    @Override
    public double[] sigmas() {
        return sigmas.clone();
    }

    @Override
    public double[] mse() {
        return mse.clone();
    }

    @Override
    public double[] low() {
        return low.clone();
    }

    @Override
    public double[] high() {
        return high.clone();
    }

    /** Number of measured levels. */
    public int levels() {
        return sigmas.length;
    }

    /**
     * The MSE at sigma, interpolated linearly in log sigma between the two measured levels around it (a measured
     * level gives its own value, so a flow model's MSE of 0 at s = 1 comes back as 0).
     *
     * @throws IllegalArgumentException for a sigma outside [sigmas[0], sigmas[last]] (or NaN)
     */
    public double mseAt(double sigma) {
        int last = sigmas.length - 1;
        if (!(sigma >= sigmas[0] && sigma <= sigmas[last])) {
            throw new IllegalArgumentException("sigma " + sigma + " is outside the measured range " + sigmas[0] + ".."
                    + sigmas[last] + " of the error curve of " + model);
        }
        int i = Arrays.binarySearch(sigmas, sigma);
        if (i >= 0) {
            return mse[i];
        }
        int hi = -i - 1, lo = hi - 1;
        double w = (Math.log(sigma) - Math.log(sigmas[lo])) / (Math.log(sigmas[hi]) - Math.log(sigmas[lo]));
        return (1 - w) * mse[lo] + w * mse[hi];
    }

    /**
     * Refuses to be used for another model than the one measured: the name and the sampling line must match, and
     * the sigma range (a flow model's describe() does not name its multiplier).
     *
     * @throws IllegalArgumentException naming both models
     */
    public void requireModel(String modelName, ModelSampling modelSampling) {
        boolean sameRange = close(sigmaMin, modelSampling.sigmaMin()) && close(sigmaMax, modelSampling.sigmaMax());
        if (!model.equals(modelName) || !sampling.equals(modelSampling.describe()) || !sameRange) {
            throw new IllegalArgumentException("this error curve was measured on " + model + " (" + sampling + ", sigma "
                    + sigmaMin + ".." + sigmaMax + "), not on " + modelName + " (" + modelSampling.describe() + ", sigma "
                    + modelSampling.sigmaMin() + ".." + modelSampling.sigmaMax() + "); measure one with stepwise error-curve");
        }
    }

    private static boolean close(double a, double b) {
        return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
    }

    /** The file's JSON bytes (pretty-printed; each array on one line). */
    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("model", model);
        root.put("sampling", sampling);
        root.put("sigma_min", sigmaMin);
        root.put("sigma_max", sigmaMax);
        root.put("samples", samples);
        root.put("conditioning", conditioning);
        root.put("data", data);
        root.put("seed", seed);
        array(root.putArray("sigmas"), sigmas);
        array(root.putArray("mse"), mse);
        array(root.putArray("low"), low);
        array(root.putArray("high"), high);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode an error curve", e);
        }
    }

    private static void array(ArrayNode a, double[] values) {
        for (double v : values) {
            a.add(v);
        }
    }

    /** Writes the curve to {@code file} atomically (a temporary file renamed into place when complete). */
    public void write(Path file) throws IOException {
        AtomicFiles.write(file, toJson());
    }

    /**
     * Reads and checks a curve file.
     *
     * @throws IllegalArgumentException of one line naming the file and the problem: not readable, not JSON, another
     *                                  format or version, a missing, unknown or mistyped field, a gap (null) in an
     *                                  array, arrays of different lengths, fewer than 2 levels, sigmas not strictly
     *                                  ascending, a negative or non-finite value
     */
    public static ErrorCurve read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("error curve " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read error curve " + file + ": " + e.getMessage());
        }
        return parse(bytes, file.toString());
    }

    /** Parses a curve file's bytes; {@code source} names it in messages. */
    public static ErrorCurve parse(byte[] json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            String at = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")";
            String why = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().lines().findFirst().orElse("");
            throw new IllegalArgumentException(source + " is not valid JSON" + at + ": " + why);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read error curve " + source + ": " + e.getMessage());
        }
        try {
            return parse(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage());
        }
    }

    private static ErrorCurve parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected a JSON object with \"format\": \"" + FORMAT + "\"");
        }
        JsonNode format = root.get("format");
        if (format == null || !format.isTextual() || !format.asText().equals(FORMAT)) {
            throw new IllegalArgumentException("format " + (format == null ? "is missing" : format + " is not allowed")
                    + "; an error curve has \"format\": \"" + FORMAT + "\"");
        }
        JsonNode version = root.get("version");
        if (version == null || !version.isIntegralNumber() || version.asLong() != VERSION) {
            throw new IllegalArgumentException("version " + (version == null ? "is missing" : version + " is not allowed")
                    + "; this Stepwise reads version " + VERSION);
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown key '" + key + "'; allowed: " + String.join(", ", KEYS));
            }
        }
        JsonNode samples = required(root, "samples");
        if (!samples.isIntegralNumber() || !samples.canConvertToInt()) {
            throw new IllegalArgumentException("'samples' must be a whole number, got " + samples);
        }
        JsonNode seed = required(root, "seed");
        if (!seed.isIntegralNumber() || !seed.canConvertToLong()) {
            throw new IllegalArgumentException("'seed' must be a whole number (64-bit), got " + seed);
        }
        return new ErrorCurve(string(root, "model"), string(root, "sampling"), number(root, "sigma_min"),
                number(root, "sigma_max"), numbers(root, "sigmas"), numbers(root, "mse"), numbers(root, "low"),
                numbers(root, "high"), samples.intValue(), string(root, "conditioning"), string(root, "data"),
                seed.longValue());
    }

    private static JsonNode required(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        return v;
    }

    private static String string(JsonNode root, String field) {
        JsonNode v = required(root, field);
        if (!v.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' must be a string, got " + v);
        }
        return v.asText();
    }

    private static double number(JsonNode root, String field) {
        JsonNode v = required(root, field);
        if (!v.isNumber()) {
            throw new IllegalArgumentException("'" + field + "' must be a number, got " + v);
        }
        return v.doubleValue();
    }

    private static double[] numbers(JsonNode root, String field) {
        JsonNode a = required(root, field);
        if (!a.isArray()) {
            throw new IllegalArgumentException("'" + field + "' must be an array of numbers, got " + a.getNodeType()
                    .toString().toLowerCase(Locale.ROOT));
        }
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = a.get(i);
            if (v.isNull()) {
                throw new IllegalArgumentException(field + "[" + i + "] is null; every level needs a value (no gaps)");
            }
            if (!v.isNumber()) {
                throw new IllegalArgumentException(field + "[" + i + "] must be a number, got " + v);
            }
            out[i] = v.doubleValue();
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ErrorCurve c && model.equals(c.model) && sampling.equals(c.sampling)
                && Double.compare(sigmaMin, c.sigmaMin) == 0 && Double.compare(sigmaMax, c.sigmaMax) == 0
                && Arrays.equals(sigmas, c.sigmas) && Arrays.equals(mse, c.mse) && Arrays.equals(low, c.low)
                && Arrays.equals(high, c.high) && samples == c.samples && conditioning.equals(c.conditioning)
                && data.equals(c.data) && seed == c.seed;
    }

    @Override
    public int hashCode() {
        return Objects.hash(model, sampling, sigmaMin, sigmaMax, Arrays.hashCode(sigmas), Arrays.hashCode(mse),
                Arrays.hashCode(low), Arrays.hashCode(high), samples, conditioning, data, seed);
    }

    @Override
    public String toString() {
        return "ErrorCurve(" + model + ", " + sampling + ", " + sigmas.length + " levels " + sigmas[0] + ".."
                + sigmas[sigmas.length - 1] + ", " + samples + " samples, " + conditioning + ", seed " + seed + ")";
    }
}
