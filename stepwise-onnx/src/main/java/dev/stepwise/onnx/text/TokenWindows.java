package dev.stepwise.onnx.text;

import java.util.Arrays;

/**
 * A prompt as the text encoder takes it: {@link #count()} windows of {@value #WINDOW} token ids (BOS, up to
 * {@value #CHUNK} prompt tokens, EOS, pad), each token with its prompt weight (1 for BOS, EOS and pad). The ids and
 * weights are flat, window after window, so {@link #ids()} is the encoder's {@code input_ids} [count, 77] as it
 * stands. Immutable.
 */
public final class TokenWindows {
    /** Tokens a text-encoder window holds. */
    public static final int WINDOW = 77;
    /** Prompt tokens a window holds: BOS and EOS take the other two. */
    public static final int CHUNK = WINDOW - 2;

    private final int[] ids;
    private final float[] weights;
    private final int[] lengths;
    private final int tokenCount;

    /**
     * @param ids        count × 77 ids
     * @param weights    count × 77 weights
     * @param lengths    the number of prompt tokens in each window (those after BOS, before the window's EOS)
     * @param tokenCount A1111's token counter for the prompt (see {@link #tokenCount()})
     */
    TokenWindows(int[] ids, float[] weights, int[] lengths, int tokenCount) {
        if (ids.length != weights.length || ids.length != lengths.length * WINDOW || lengths.length == 0) {
            throw new IllegalArgumentException("expected " + lengths.length + " windows of " + WINDOW + " ids and weights");
        }
        this.ids = ids;
        this.weights = weights;
        this.lengths = lengths;
        this.tokenCount = tokenCount;
    }

    /** The number of windows (at least one). */
    public int count() {
        return lengths.length;
    }

    /** All ids, [count, 77] row-major (a copy). */
    public int[] ids() {
        return ids.clone();
    }

    /** All weights, [count, 77] row-major (a copy). */
    public float[] weights() {
        return weights.clone();
    }

    /** Window {@code w}'s 77 ids. */
    public int[] ids(int w) {
        return Arrays.copyOfRange(ids, w * WINDOW, (w + 1) * WINDOW);
    }

    /** Window {@code w}'s 77 weights. */
    public float[] weights(int w) {
        return Arrays.copyOfRange(weights, w * WINDOW, (w + 1) * WINDOW);
    }

    /** The number of prompt tokens in window {@code w}: they sit at positions 1..length. */
    public int length(int w) {
        return lengths[w];
    }

    /** Whether any token's weight differs from 1 (ComfyUI then needs the empty prompt's encoding). */
    public boolean hasWeights() {
        for (float v : weights) {
            if (v != 1.0f) {
                return true;
            }
        }
        return false;
    }

    /**
     * A1111's token counter ({@code sd_hijack_clip.py} {@code tokenize_line}): every window but the last counts
     * {@value #CHUNK}, the last its prompt tokens; so a prompt cut at a comma or a BREAK counts the rest of that
     * window as used, as A1111's "80/150" shows.
     */
    public int tokenCount() {
        return tokenCount;
    }

    /** A1111's limit beside the counter ({@code get_target_prompt_token_count}): the next multiple of 75. */
    public int tokenLimit() {
        return Math.ceilDiv(Math.max(tokenCount, 1), CHUNK) * CHUNK;
    }
}
