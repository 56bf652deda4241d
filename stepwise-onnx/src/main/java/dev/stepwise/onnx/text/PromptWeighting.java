package dev.stepwise.onnx.text;

/**
 * Prompt weights applied to a text encoder's hidden states {@code [windows, 77, width]} (float, row-major), the
 * two UIs' ways. Pure functions: the input is not changed.
 */
public final class PromptWeighting {
    private static final int WINDOW = TokenWindows.WINDOW;

    private PromptWeighting() {
    }

    /**
     * A1111's "Original" emphasis ({@code modules/sd_emphasis.py} {@code EmphasisOriginal}, called per chunk from
     * {@code sd_hijack_clip.py} {@code process_tokens}): each window's token vectors times their weights, then the
     * window scaled so its mean over all 77 × width values is the mean it had before. Means are summed in double;
     * torch sums in float, so results agree to a few float ulps (at most 4 on the
     * PyTorch fixture of the tests).
     *
     * @throws ArithmeticException when a weighted window's mean is 0, which A1111 would divide by
     */
    public static float[] a1111(float[] hidden, TokenWindows windows, int width) {
        checkShape(hidden, windows, width, "hidden states");
        float[] out = hidden.clone();
        int size = WINDOW * width;
        for (int w = 0; w < windows.count(); w++) {
            float[] weights = windows.weights(w);
            if (allOne(weights)) {
                continue; // A1111's scale is then exactly 1.
            }
            int base = w * size;
            float before = (float) mean(out, base, size);
            for (int t = 0; t < WINDOW; t++) {
                float m = weights[t];
                for (int c = 0, i = base + t * width; c < width; c++, i++) {
                    out[i] *= m;
                }
            }
            float after = (float) mean(out, base, size);
            if (after == 0f) {
                throw new ArithmeticException("the weighted prompt encoding of window " + (w + 1)
                        + " has mean 0, so A1111's weighting cannot restore its mean; change the prompt weights");
            }
            float scale = before / after;
            for (int i = base; i < base + size; i++) {
                out[i] *= scale;
            }
        }
        return out;
    }

    /**
     * ComfyUI's weighting ({@code comfy/sd1_clip.py} {@code ClipTokenWeightEncoder.encode_token_weights}): when any
     * token's weight differs from 1, each such token's vector becomes {@code (z - z_empty) * w + z_empty}, where
     * {@code z_empty} is the encoding of the empty prompt's window (BOS, EOS, pad; the same for every window) at
     * the same position; otherwise the hidden states are returned as they are. The same float operations as
     * PyTorch's, so the same bits.
     *
     * @param empty the empty window's hidden states [77, width]; may be null when {@code !windows.hasWeights()}
     */
    public static float[] comfyui(float[] hidden, TokenWindows windows, int width, float[] empty) {
        checkShape(hidden, windows, width, "hidden states");
        float[] out = hidden.clone();
        if (!windows.hasWeights()) {
            return out;
        }
        if (empty == null || empty.length != WINDOW * width) {
            throw new IllegalArgumentException("the empty prompt's hidden states have "
                    + (empty == null ? "no values" : empty.length + " values") + ", expected 77 x " + width);
        }
        for (int w = 0; w < windows.count(); w++) {
            interpolate(out, w * WINDOW * width, windows.weights(w), empty, width);
        }
        return out;
    }

    /**
     * ComfyUI's interpolation in place over {@code weights.length} tokens of {@code hidden} from token offset
     * {@code base / width}: z = (z - z_empty) * w + z_empty for each token of weight w != 1, {@code empty} the
     * empty prompt's encoding at the same positions (from 0).
     */
    public static void interpolate(float[] hidden, int base, float[] weights, float[] empty, int width) {
        for (int t = 0; t < weights.length; t++) {
            float m = weights[t];
            if (m == 1f) {
                continue;
            }
            for (int c = 0, i = base + t * width, e = t * width; c < width; c++, i++, e++) {
                hidden[i] = (hidden[i] - empty[e]) * m + empty[e];
            }
        }
    }

    private static void checkShape(float[] hidden, TokenWindows windows, int width, String what) {
        if (width <= 0 || hidden.length != (long) windows.count() * WINDOW * width) {
            throw new IllegalArgumentException("the " + what + " have " + hidden.length + " values, expected "
                    + windows.count() + " windows x 77 x " + width);
        }
    }

    private static boolean allOne(float[] weights) {
        for (float v : weights) {
            if (v != 1f) {
                return false;
            }
        }
        return true;
    }

    private static double mean(float[] a, int from, int n) {
        double s = 0;
        for (int i = from; i < from + n; i++) {
            s += a[i];
        }
        return s / n;
    }
}
