package dev.stepwise.harness;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepwise.core.analytic.GaussianMixture;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a Gaussian-mixture spec:
 * <pre>{@code
 * {"dim": 2,
 *  "components": [{"weight": 0.5, "mean": [1, 0], "std": 0.2, "label": 0}, ...],
 *  "sigma_min": 0.002, "sigma_max": 80}
 * }</pre>
 * {@code sigma_min} and {@code sigma_max} are optional (0.002 and 80), so is each {@code label}. Every
 * mistake is reported as one line naming the file, the field and what is allowed.
 */
public final class MixtureSpec {
    /** The built-in example mixture (also committed as examples/gmm-ring.json). */
    public static final String BUILT_IN = "gmm-ring.json";

    /** The keys, in the order the spec format documents them (messages list them so). */
    private static final List<String> TOP_KEYS = List.of("dim", "components", "sigma_min", "sigma_max");
    private static final List<String> COMPONENT_KEYS = List.of("weight", "mean", "std", "label");
    /**
     * The largest mean value, std and sigma_max, and 1 / the smallest sigma_min. Samples are float32 (largest
     * 3.4e38): past this, the noise added, the squares of the density and the ODE's divisions by sigma overflow,
     * and a run goes NaN (std 1e300 squared is infinite in double precision too).
     */
    static final double MAX_MAGNITUDE = 1e30;
    private static final String MAX_TEXT = "1e30";

    private MixtureSpec() {
    }

    /** The mixture in a spec file. */
    public static GaussianMixture read(Path file) {
        return parse(bytes(file), file.toString());
    }

    /** A spec file's bytes (for parsing and for a digest that identifies the mixture). */
    public static byte[] bytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new PlanException("model spec '" + file + "' does not exist");
        } catch (IOException e) {
            throw new PlanException("cannot read model spec '" + file + "': " + e.getMessage());
        }
    }

    /** The built-in example mixture: 8 labelled Gaussians on a ring of radius 4 in 2-D. */
    public static GaussianMixture builtIn() {
        return parse(builtInBytes(), "built-in " + BUILT_IN);
    }

    /** The built-in spec's bytes, as committed in examples/gmm-ring.json. */
    public static byte[] builtInBytes() {
        try (InputStream in = MixtureSpec.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) {
                throw new IllegalStateException("the built-in model " + BUILT_IN + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the built-in model " + BUILT_IN, e);
        }
    }

    /** Parses spec text; {@code source} names it in error messages. */
    public static GaussianMixture parse(byte[] json, String source) {
        JsonNode root = PlanReader.tree(json, false, source);
        if (root == null || !root.isObject()) {
            throw new PlanException(source + ": expected a JSON object {\"dim\": ..., \"components\": [...]}");
        }
        PlanReader.checkKeys(source, "", root, TOP_KEYS);
        int dim = integer(source, "dim", required(source, "dim", root.get("dim")), 1);
        JsonNode comps = required(source, "components", root.get("components"));
        if (!comps.isArray() || comps.isEmpty()) {
            throw new PlanException(source + ": 'components' must be a non-empty array of {\"weight\", \"mean\", \"std\", \"label\"} objects");
        }
        List<GaussianMixture.Component> components = new ArrayList<>();
        for (int k = 0; k < comps.size(); k++) {
            components.add(component(source, "components[" + k + "]", comps.get(k), dim));
        }
        double weights = 0;
        for (GaussianMixture.Component c : components) {
            weights += c.weight();
        }
        if (!Double.isFinite(weights)) {
            throw new PlanException(source + ": the components' weights sum to " + weights + "; give weights whose sum"
                    + " is finite (they are normalised, so [1, 3] is [0.25, 0.75])");
        }
        double sigmaMin = optionalPositive(source, "sigma_min", root.get("sigma_min"), GaussianMixture.DEFAULT_SIGMA_MIN);
        double sigmaMax = optionalPositive(source, "sigma_max", root.get("sigma_max"), GaussianMixture.DEFAULT_SIGMA_MAX);
        if (sigmaMin < 1 / MAX_MAGNITUDE) {
            throw new PlanException(source + ": sigma_min = " + sigmaMin + " is too small; allowed: 1e-30 or more"
                    + " (the ODE divides by sigma in float32)");
        }
        magnitude(source, "sigma_max", sigmaMax, "sigma_max");
        if (!(sigmaMax > sigmaMin)) {
            throw new PlanException(source + ": sigma_max = " + sigmaMax + " must be greater than sigma_min = " + sigmaMin);
        }
        try {
            return new GaussianMixture(dim, components, sigmaMin, sigmaMax);
        } catch (IllegalArgumentException e) {
            throw new PlanException(source + ": " + e.getMessage());
        }
    }

    private static GaussianMixture.Component component(String source, String where, JsonNode c, int dim) {
        if (!c.isObject()) {
            throw new PlanException(source + ": " + where + " must be an object with weight, mean, std and optional label");
        }
        PlanReader.checkKeys(source, where + ".", c, COMPONENT_KEYS);
        double weight = number(source, where + ".weight", required(source, where + ".weight", c.get("weight")));
        if (!(weight > 0)) {
            throw new PlanException(source + ": " + where + ".weight = " + weight + " is not allowed; a weight must be > 0");
        }
        JsonNode m = required(source, where + ".mean", c.get("mean"));
        if (!m.isArray()) {
            throw new PlanException(source + ": " + where + ".mean must be an array of " + dim + " numbers (dim), got " + describe(m));
        }
        if (m.size() != dim) {
            throw new PlanException(source + ": " + where + ".mean has " + m.size() + " values but dim is " + dim);
        }
        double[] mean = new double[dim];
        for (int j = 0; j < dim; j++) {
            mean[j] = number(source, where + ".mean[" + j + "]", m.get(j));
            magnitude(source, where + ".mean[" + j + "]", mean[j], "a mean value");
        }
        double std = number(source, where + ".std", required(source, where + ".std", c.get("std")));
        if (!(std >= 0)) {
            throw new PlanException(source + ": " + where + ".std = " + std + " is not allowed; std must be >= 0");
        }
        magnitude(source, where + ".std", std, "std");
        Integer label = c.has("label") ? integer(source, where + ".label", c.get("label"), 0) : null;
        return new GaussianMixture.Component(weight, mean, std, label);
    }

    /** Refuses a value past {@link #MAX_MAGNITUDE}, whose runs would overflow. */
    private static void magnitude(String source, String field, double v, String what) {
        if (Math.abs(v) > MAX_MAGNITUDE) {
            throw new PlanException(source + ": " + field + " = " + v + " is too large; " + what + " must be at most "
                    + MAX_TEXT + " in absolute value (samples are float32, and larger values overflow)");
        }
    }

    private static JsonNode required(String source, String field, JsonNode value) {
        if (value == null || value.isNull()) {
            throw new PlanException(source + ": missing field '" + field + "'");
        }
        return value;
    }

    private static double number(String source, String field, JsonNode value) {
        if (!value.isNumber()) {
            throw new PlanException(source + ": " + field + " must be a number, got " + describe(value));
        }
        double v = value.doubleValue();
        if (!Double.isFinite(v)) {
            throw new PlanException(source + ": " + field + " = " + value + " must be a finite number");
        }
        return v;
    }

    private static int integer(String source, String field, JsonNode value, int min) {
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < min) {
            throw new PlanException(source + ": " + field + " must be an integer >= " + min + ", got " + describe(value));
        }
        return value.intValue();
    }

    private static double optionalPositive(String source, String field, JsonNode value, double fallback) {
        if (value == null) {
            return fallback;
        }
        double v = number(source, field, value);
        if (!(v > 0)) {
            throw new PlanException(source + ": " + field + " = " + v + " is not allowed; it must be > 0");
        }
        return v;
    }

    private static String describe(JsonNode v) {
        String type = v.isTextual() ? "a string" : v.isArray() ? "an array" : v.isObject() ? "an object"
                : v.isBoolean() ? "a boolean" : v.isNull() ? "null" : "the number";
        String text = v.toString();
        return type + " " + (text.length() > 40 ? text.substring(0, 37) + "..." : text);
    }
}
