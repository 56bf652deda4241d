package dev.stepwise.core.param;

import java.util.List;
import java.util.Locale;

/**
 * One tunable parameter of a sampler or scheduler: its name as the ecosystem spells it (ComfyUI's
 * widget names: {@code eta}, {@code s_noise}, {@code rho}...), its default and its allowed values. Values are
 * given as numbers or as text, where {@code inf} and {@code -inf} (as {@code stepwise list} prints them) are
 * the infinities; infinity is a value only of a {@link #threshold}, where it means "no limit".
 */
public record Parameter(String name, Type type, double defaultValue, double min, double max,
                        boolean minExclusive, boolean infinityAllowed, List<String> choices, String description) {

    public enum Type { REAL, INTEGER, CHOICE }

    public Parameter {
        choices = List.copyOf(choices);
    }

    /** A real parameter in [min, max]. */
    public static Parameter real(String name, double defaultValue, double min, double max, String description) {
        return new Parameter(name, Type.REAL, defaultValue, min, max, false, false, List.of(), description);
    }

    /** A real parameter in (min, max]. */
    public static Parameter positive(String name, double defaultValue, double min, double max, String description) {
        return new Parameter(name, Type.REAL, defaultValue, min, max, true, false, List.of(), description);
    }

    /** A real bound in [min, inf], where inf (as in EDM's S_tmax = inf) means that the bound is off. */
    public static Parameter threshold(String name, double defaultValue, double min, String description) {
        return new Parameter(name, Type.REAL, defaultValue, min, Double.POSITIVE_INFINITY, false, true, List.of(),
                description);
    }

    public static Parameter integer(String name, int defaultValue, int min, int max, String description) {
        return new Parameter(name, Type.INTEGER, defaultValue, min, max, false, false, List.of(), description);
    }

    /** One of a list of words; the first is the default. */
    public static Parameter choice(String name, List<String> choices, String description) {
        return new Parameter(name, Type.CHOICE, 0, 0, choices.size() - 1, false, false, choices, description);
    }

    /** The default as text ("0.0", "2", "midpoint"). */
    public String defaultText() {
        return switch (type) {
            case CHOICE -> choices.get(0);
            case INTEGER -> Integer.toString((int) defaultValue);
            case REAL -> format(defaultValue);
        };
    }

    /** The allowed values as text: "[0, inf)", "[0, inf]" (a threshold), "(0, 2]", "1..3", "midpoint|heun". */
    public String rangeText() {
        return switch (type) {
            case CHOICE -> String.join("|", choices);
            case INTEGER -> (int) min + ".." + (max == Double.POSITIVE_INFINITY ? "inf" : Integer.toString((int) max));
            case REAL -> (minExclusive ? "(" : "[") + format(min) + ", "
                    + (max == Double.POSITIVE_INFINITY ? (infinityAllowed ? "inf]" : "inf)") : format(max) + "]");
        };
    }

    /** Checks and converts a value given as text or a number; the error names the parameter and its range. */
    public Object parse(String owner, Object value) {
        if (type == Type.CHOICE) {
            String s = String.valueOf(value).trim().toLowerCase(Locale.ROOT);
            if (!choices.contains(s)) {
                throw new IllegalArgumentException(owner + ": " + name + " = '" + value + "' is not allowed; allowed: " + rangeText());
            }
            return s;
        }
        double v;
        if (value instanceof Number n) {
            v = n.doubleValue();
        } else {
            v = number(String.valueOf(value).trim());
            if (Double.isNaN(v)) {
                throw new IllegalArgumentException(owner + ": " + name + " = '" + value + "' is not a number; allowed: " + rangeText());
            }
        }
        boolean belowMin = minExclusive ? !(v > min) : !(v >= min);
        // Only a threshold takes infinity; elsewhere an infinite value is a run that overflows.
        boolean infinite = Double.isInfinite(v) && !(infinityAllowed && v == max);
        if (Double.isNaN(v) || infinite || belowMin || v > max || (type == Type.INTEGER && v != Math.rint(v))) {
            throw new IllegalArgumentException(owner + ": " + name + " = " + format(v) + " is out of range; allowed: " + rangeText());
        }
        return v;
    }

    /**
     * A number as text: Java's forms, and the infinities as {@code stepwise list} prints them ("inf", "-inf", also
     * "+inf", "infinity", any case); NaN for text that is no number (so is "NaN" itself, refused alike).
     */
    static double number(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        String unsigned = t.startsWith("-") || t.startsWith("+") ? t.substring(1) : t;
        if (unsigned.equals("inf") || unsigned.equals("infinity")) {
            return t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    static String format(double v) {
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }
}
