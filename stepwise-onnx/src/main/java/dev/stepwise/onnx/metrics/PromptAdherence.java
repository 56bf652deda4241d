package dev.stepwise.onnx.metrics;

import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.tensor.Tensor;

/**
 * Prompt adherence: the share of generated images that a classifier assigns to the class they were
 * prompted with (argmax of the logits equals the prompted label).
 */
public final class PromptAdherence {
    private PromptAdherence() {
    }

    /** The argmax class of every row of [B, classes] logits (the first one on ties). */
    public static int[] argmax(Tensor logits) {
        int b = logits.batch(), k = logits.rowSize();
        float[] d = logits.data();
        int[] out = new int[b];
        for (int i = 0; i < b; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) {
                if (d[i * k + j] > d[i * k + best]) {
                    best = j;
                }
            }
            out[i] = best;
        }
        return out;
    }

    /**
     * The class a prompt asks for: the label of the largest weight, or -1 for an unconditional prompt or
     * a tie between the largest weights (such prompts have no single class to adhere to).
     */
    public static int promptedClass(Conditioning.Classes prompt) {
        double[] w = prompt.weights();
        int best = -1;
        boolean tie = false;
        for (int k = 0; k < w.length; k++) {
            if (w[k] > 0 && (best < 0 || w[k] > w[best])) {
                best = k;
                tie = false;
            } else if (best >= 0 && w[k] == w[best]) {
                tie = true;
            }
        }
        return tie ? -1 : best;
    }

    /** Share in [0, 1] of rows whose argmax equals {@code prompted[row]}. */
    public static double score(Tensor logits, int[] prompted) {
        return score(argmax(logits), prompted);
    }

    public static double score(int[] predicted, int[] prompted) {
        if (predicted.length != prompted.length || predicted.length == 0) {
            throw new IllegalArgumentException(predicted.length + " predictions for " + prompted.length
                    + " prompts; need the same non-zero count");
        }
        int hits = 0;
        for (int i = 0; i < predicted.length; i++) {
            if (predicted[i] == prompted[i]) {
                hits++;
            }
        }
        return (double) hits / predicted.length;
    }
}
