package dev.stepwise.onnx;

import dev.stepwise.core.model.Conditioning;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Class prompts in AUTOMATIC1111's attention syntax, read over a fixed class vocabulary:
 * comma-separated terms, each a class name or a synonym (case-insensitive, multi-word names such as
 * "ankle boot" allowed); {@code (term)} multiplies the weight by 1.1, {@code [term]} divides it by 1.1,
 * {@code (term:1.3)} multiplies it by 1.3, brackets nest and multiply, {@code \(} and friends are literal.
 * A class named twice gets the sum of its weights. An empty prompt is unconditional (all weights zero).
 */
public final class Prompts {
    /** A1111's factor for one level of () emphasis. */
    public static final double EMPHASIS = 1.1;

    private Prompts() {
    }

    /** A piece of prompt text with the attention weight A1111 gives it. */
    public record Segment(String text, double weight) {
    }

    /**
     * Parses {@code prompt} into weights over {@code vocabulary}.
     *
     * @throws IllegalArgumentException for an unknown term (the message lists the vocabulary), a negative
     *                                  weight, or a term whose parts carry different weights
     */
    public static Conditioning.Classes parse(String prompt, List<String> vocabulary, Map<String, String> synonyms) {
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < vocabulary.size(); i++) {
            index.put(normalize(vocabulary.get(i)), i);
        }
        for (Map.Entry<String, String> e : synonyms.entrySet()) {
            Integer target = index.get(normalize(e.getValue()));
            if (target == null) {
                throw new IllegalArgumentException("synonym '" + e.getKey() + "' points to '" + e.getValue()
                        + "', which is not in the vocabulary " + vocabulary);
            }
            index.putIfAbsent(normalize(e.getKey()), target);
        }
        double[] weights = new double[vocabulary.size()];
        for (Segment term : terms(prompt)) {
            Integer k = index.get(normalize(term.text()));
            if (k == null) {
                throw new IllegalArgumentException("unknown class '" + term.text().strip() + "' in prompt '" + prompt
                        + "'; the classes are: " + String.join(", ", vocabulary)
                        + (synonyms.isEmpty() ? "" : " (synonyms: " + String.join(", ", synonyms.keySet()) + ")"));
            }
            if (!(term.weight() >= 0) || Double.isInfinite(term.weight())) {
                throw new IllegalArgumentException("class '" + term.text().strip() + "' has weight " + term.weight()
                        + "; class weights must be finite and >= 0");
            }
            weights[k] += term.weight();
        }
        return Conditioning.classes(weights);
    }

    /**
     * The comma-separated terms of a prompt with their weights; empty terms are dropped. A term whose
     * parts carry different weights, as in "ankle (boot:1.2)", is an error.
     */
    public static List<Segment> terms(String prompt) {
        List<Segment> terms = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        double[] weight = {Double.NaN};
        Runnable flush = () -> {
            if (!text.isEmpty() && !text.toString().isBlank()) {
                terms.add(new Segment(text.toString().strip(), weight[0]));
            }
            text.setLength(0);
            weight[0] = Double.NaN;
        };
        for (Segment s : attention(prompt)) {
            String[] parts = s.text().split(",", -1);
            for (int p = 0; p < parts.length; p++) {
                if (p > 0) {
                    flush.run();
                }
                String part = parts[p];
                if (part.isBlank()) {
                    text.append(part);
                    continue;
                }
                if (!Double.isNaN(weight[0]) && weight[0] != s.weight()) {
                    throw new IllegalArgumentException("term '" + (text + part).strip() + "' mixes weights "
                            + weight[0] + " and " + s.weight() + "; weight the whole term, as in (ankle boot:1.2)");
                }
                weight[0] = s.weight();
                text.append(part);
            }
        }
        flush.run();
        return terms;
    }

    /**
     * A1111's attention parse ({@code prompt_parser.parse_prompt_attention}): the prompt as text segments
     * with their weights, adjacent segments of equal weight merged. Unclosed brackets still apply to the
     * rest of the prompt, as in A1111.
     */
    public static List<Segment> attention(String prompt) {
        List<StringBuilder> texts = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        List<Integer> round = new ArrayList<>();
        List<Integer> square = new ArrayList<>();
        int i = 0, n = prompt.length();
        while (i < n) {
            char c = prompt.charAt(i);
            if (c == '\\' && i + 1 < n && "()[]\\:".indexOf(prompt.charAt(i + 1)) >= 0) {
                append(texts, weights, String.valueOf(prompt.charAt(i + 1)));
                i += 2;
            } else if (c == '(') {
                round.add(texts.size());
                i++;
            } else if (c == '[') {
                square.add(texts.size());
                i++;
            } else if (c == ':' && !round.isEmpty() && weightEnd(prompt, i) > 0) {
                int end = weightEnd(prompt, i);
                double w = Double.parseDouble(prompt.substring(i + 1, end - 1).strip());
                multiply(weights, round.remove(round.size() - 1), w);
                i = end;
            } else if (c == ')' && !round.isEmpty()) {
                multiply(weights, round.remove(round.size() - 1), EMPHASIS);
                i++;
            } else if (c == ']' && !square.isEmpty()) {
                multiply(weights, square.remove(square.size() - 1), 1 / EMPHASIS);
                i++;
            } else {
                int j = i + 1;
                while (j < n && "\\()[]:".indexOf(prompt.charAt(j)) < 0) {
                    j++;
                }
                append(texts, weights, prompt.substring(i, j));
                i = j;
            }
        }
        for (int p : round) {
            multiply(weights, p, EMPHASIS);
        }
        for (int p : square) {
            multiply(weights, p, 1 / EMPHASIS);
        }
        List<Segment> out = new ArrayList<>();
        for (int k = 0; k < texts.size(); k++) {
            if (!out.isEmpty() && out.get(out.size() - 1).weight() == weights.get(k)) {
                Segment last = out.remove(out.size() - 1);
                out.add(new Segment(last.text() + texts.get(k), last.weight()));
            } else {
                out.add(new Segment(texts.get(k).toString(), weights.get(k)));
            }
        }
        return out;
    }

    /**
     * If {@code s} has ":number)" at {@code colon} (spaces allowed around the number), the index just
     * past the ')'; otherwise -1.
     */
    private static int weightEnd(String s, int colon) {
        int close = s.indexOf(')', colon);
        if (close < 0) {
            return -1;
        }
        String num = s.substring(colon + 1, close).strip();
        return num.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)") ? close + 1 : -1;
    }

    private static void append(List<StringBuilder> texts, List<Double> weights, String s) {
        texts.add(new StringBuilder(s));
        weights.add(1.0);
    }

    private static void multiply(List<Double> weights, int from, double factor) {
        for (int k = from; k < weights.size(); k++) {
            weights.set(k, weights.get(k) * factor);
        }
    }

    /** Lower case, '_' as a space, runs of white space as one space, trimmed. */
    static String normalize(String term) {
        return term.toLowerCase(Locale.ROOT).replace('_', ' ').strip().replaceAll("\\s+", " ");
    }
}
