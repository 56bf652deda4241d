package dev.stepwise.onnx.text;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prompt weights ("attention"): a prompt as runs of text, each with the weight its brackets give it, parsed the
 * way AUTOMATIC1111 or ComfyUI parses it. The two differ: A1111 multiplies nested weights, knows {@code [x]}
 * (÷1.1) and {@code BREAK}, and merges neighbouring runs of equal weight; ComfyUI's {@code (x:w)} sets the weight
 * (it does not multiply the outer one), square brackets and {@code BREAK} are plain text, and only {@code \(} and
 * {@code \)} are escapes.
 */
public final class PromptAttention {
    /** One level of {@code ()} emphasis in both UIs. */
    public static final double EMPHASIS = 1.1;

    private PromptAttention() {
    }

    /**
     * Text with its weight. A1111 marks {@code BREAK} as the run ("BREAK", -1.0), which its brackets multiply like
     * any run (so a bracketed BREAK stops being one); {@link #isA1111Break()} is A1111's test.
     */
    public record Run(String text, double weight) {
        /** A1111's {@code sd_hijack_clip.py} {@code tokenize_line}: {@code text == 'BREAK' and weight == -1}. */
        public boolean isA1111Break() {
            return weight == -1 && text.equals("BREAK");
        }
    }

    // modules/prompt_parser.py re_attention, in the same order (first alternative wins). Python's \d, \s and \b
    // are Unicode-aware in str patterns, hence UNICODE_CHARACTER_CLASS.
    private static final Pattern A1111_ATTENTION = Pattern.compile(
            "\\\\\\(|\\\\\\)|\\\\\\[|\\\\]|\\\\\\\\|\\\\|\\(|\\[|:([+-]?[.\\d]+)\\)|\\)|]|[^\\\\()\\[\\]:]+|:",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern A1111_BREAK = Pattern.compile("\\s*\\bBREAK\\b\\s*", Pattern.UNICODE_CHARACTER_CLASS);
    // Python's float() literal (without inf/nan, handled apart): digits may carry single underscores.
    private static final Pattern PY_FLOAT = Pattern.compile(
            "[+-]?(?:\\d(?:_?\\d)*(?:\\.(?:\\d(?:_?\\d)*)?)?|\\.\\d(?:_?\\d)*)(?:[eE][+-]?\\d(?:_?\\d)*)?",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern PY_SPECIAL = Pattern.compile("[+-]?(?:inf|infinity|nan)", Pattern.CASE_INSENSITIVE);

    /**
     * A1111's {@code parse_prompt_attention} (modules/prompt_parser.py): {@code (x)} ×1.1, {@code [x]} ÷1.1,
     * {@code (x:w)} ×w, nesting multiplies (innermost first), brackets left open apply to the rest of the prompt,
     * {@code \( \) \[ \] \\} are the literal characters (any other backslash is dropped), {@code BREAK} as its
     * own word becomes a break run, runs of equal weight are merged, and an empty prompt is one empty run.
     *
     * @throws IllegalArgumentException for a weight that is no number, such as {@code (x:1.2.3)} (A1111 fails on
     *                                  it too)
     */
    public static List<Run> a1111(String prompt) {
        List<String> texts = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        List<Integer> round = new ArrayList<>();
        List<Integer> square = new ArrayList<>();
        Matcher m = A1111_ATTENTION.matcher(prompt);
        while (m.find()) {
            String text = m.group();
            String weight = m.group(1);
            if (text.startsWith("\\")) {
                texts.add(text.substring(1));
                weights.add(1.0);
            } else if (text.equals("(")) {
                round.add(texts.size());
            } else if (text.equals("[")) {
                square.add(texts.size());
            } else if (weight != null && !round.isEmpty()) {
                double w = pythonFloat(weight);
                if (Double.isNaN(w)) {
                    throw new IllegalArgumentException("prompt weight \"" + weight
                            + "\" is not a number; write a weight as (text:1.2)");
                }
                multiply(weights, round.remove(round.size() - 1), w);
            } else if (text.equals(")") && !round.isEmpty()) {
                multiply(weights, round.remove(round.size() - 1), EMPHASIS);
            } else if (text.equals("]") && !square.isEmpty()) {
                multiply(weights, square.remove(square.size() - 1), 1 / EMPHASIS);
            } else {
                String[] parts = A1111_BREAK.split(text, -1);
                for (int i = 0; i < parts.length; i++) {
                    if (i > 0) {
                        texts.add("BREAK");
                        weights.add(-1.0);
                    }
                    texts.add(parts[i]);
                    weights.add(1.0);
                }
            }
        }
        // Left open: outermost first, as A1111's loop over its stacks.
        for (int pos : round) {
            multiply(weights, pos, EMPHASIS);
        }
        for (int pos : square) {
            multiply(weights, pos, 1 / EMPHASIS);
        }
        List<Run> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            if (!out.isEmpty() && out.get(out.size() - 1).weight() == weights.get(i)) {
                Run last = out.remove(out.size() - 1);
                out.add(new Run(last.text() + texts.get(i), last.weight()));
            } else {
                out.add(new Run(texts.get(i), weights.get(i)));
            }
        }
        if (out.isEmpty()) {
            out.add(new Run("", 1.0));
        }
        return out;
    }

    /**
     * ComfyUI's {@code token_weights} (comfy/sd1_clip.py, with {@code parse_parentheses}, {@code escape_important}
     * and {@code unescape_important}): top-level {@code (...)} groups get the outer weight ×1.1, or, when the text
     * after the group's last ':' is a Python float, that weight (replacing the outer one, not multiplying it);
     * groups nest; an unclosed or unmatched parenthesis is text; {@code \(} and {@code \)} are the literal
     * characters. Runs are not merged; an empty prompt gives no runs.
     *
     * @throws IllegalArgumentException for a weight that is infinite or NaN (ComfyUI would encode NaNs)
     */
    public static List<Run> comfyui(String prompt) {
        List<Run> out = new ArrayList<>();
        comfyWeights(escapeImportant(prompt), 1.0, out);
        List<Run> unescaped = new ArrayList<>(out.size());
        for (Run r : out) {
            if (!Double.isFinite(r.weight())) {
                throw new IllegalArgumentException("prompt weight " + r.weight() + " for \"" + unescapeImportant(r.text())
                        + "\" is not finite; write a number such as (text:1.2)");
            }
            unescaped.add(new Run(unescapeImportant(r.text()), r.weight()));
        }
        return unescaped;
    }

    private static void comfyWeights(String text, double current, List<Run> out) {
        for (String item : parseParentheses(text)) {
            if (item.length() >= 2 && item.charAt(0) == '(' && item.charAt(item.length() - 1) == ')') {
                String inner = item.substring(1, item.length() - 1);
                double weight = current * EMPHASIS;
                int colon = inner.lastIndexOf(':');
                if (colon > 0) {
                    double w = pythonFloat(inner.substring(colon + 1));
                    if (!Double.isNaN(w) || isPythonNan(inner.substring(colon + 1))) {
                        weight = w;
                        inner = inner.substring(0, colon);
                    }
                }
                comfyWeights(inner, weight, out);
            } else {
                out.add(new Run(item, current));
            }
        }
    }

    /** parse_parentheses: the text split into top-level "(...)" groups and the text between them. */
    private static List<String> parseParentheses(String s) {
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int nesting = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(') {
                if (nesting == 0) {
                    if (!current.isEmpty()) {
                        result.add(current.toString());
                    }
                    current.setLength(0);
                }
                current.append(c);
                nesting++;
            } else if (c == ')') {
                // An unmatched ')' takes the level below zero, and later groups stay text until it is back at 0.
                nesting--;
                current.append(c);
                if (nesting == 0) {
                    result.add(current.toString());
                    current.setLength(0);
                }
            } else {
                current.append(c);
            }
        }
        if (!current.isEmpty()) {
            result.add(current.toString());
        }
        return result;
    }

    private static String escapeImportant(String text) {
        return text.replace("\\)", "\0\1").replace("\\(", "\0\2");
    }

    private static String unescapeImportant(String text) {
        return text.replace("\0\1", ")").replace("\0\2", "(");
    }

    private static boolean isPythonNan(String s) {
        String t = stripPython(s);
        return PY_SPECIAL.matcher(t).matches() && t.toLowerCase(java.util.Locale.ROOT).endsWith("nan");
    }

    /**
     * Python's {@code float(s)}: surrounding whitespace allowed, Unicode decimal digits, single underscores between
     * digits, "inf"/"infinity"/"nan" in any case; NaN when Python would raise ValueError (and for "nan").
     */
    static double pythonFloat(String s) {
        String t = stripPython(s);
        if (PY_SPECIAL.matcher(t).matches()) {
            String lower = t.toLowerCase(java.util.Locale.ROOT);
            if (lower.endsWith("nan")) {
                return Double.NaN;
            }
            return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (!PY_FLOAT.matcher(t).matches()) {
            return Double.NaN;
        }
        StringBuilder ascii = new StringBuilder(t.length());
        for (int i = 0; i < t.length(); ) {
            int cp = t.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '_') {
                continue;
            }
            int digit = Character.digit(cp, 10);
            ascii.append(digit >= 0 && Character.isDigit(cp) ? (char) ('0' + digit) : (char) cp);
        }
        return Double.parseDouble(ascii.toString());
    }

    /** str.strip() for float(): Python's whitespace also counts U+0085, U+00A0, U+2007 and U+202F. */
    private static String stripPython(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && isPythonSpace(s.charAt(from))) {
            from++;
        }
        while (to > from && isPythonSpace(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }

    private static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || c == '\u0085' || c == '\u00a0' || c == '\u2007' || c == '\u202f';
    }

    private static void multiply(List<Double> weights, int from, double factor) {
        for (int i = from; i < weights.size(); i++) {
            weights.set(i, weights.get(i) * factor);
        }
    }
}
