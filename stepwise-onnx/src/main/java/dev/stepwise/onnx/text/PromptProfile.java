package dev.stepwise.onnx.text;

import dev.stepwise.core.CompatProfile;
import java.util.List;
import java.util.Locale;

/**
 * How a UI turns a prompt into text-encoder input and weights the encoding: its weight syntax
 * ({@link PromptAttention}), the text cleaning its tokenizer gets ({@link TextCleaning}), its 77-token windows
 * ({@link PromptChunking}) and its weighting ({@link PromptWeighting}). The encoder runs in between:
 * {@code windows = profile.tokenize(tok, prompt)}, encode {@code windows.ids()} (and, for ComfyUI when
 * {@link #needsEmptyEncoding}, {@code tok.emptyWindow()}), then {@code profile.weight(...)}.
 */
public enum PromptProfile {
    /** ComfyUI: {@code (x:w)} sets the weight, no {@code []} or BREAK, runs kept whole; interpolation from the empty prompt. */
    COMFYUI(TextCleaning.BASIC),
    /** A1111: {@code (x:w)} multiplies, {@code [x]}, BREAK, comma backtrack; scale then restore the mean. */
    A1111(TextCleaning.FTFY);

    private final TextCleaning cleaning;

    PromptProfile(TextCleaning cleaning) {
        this.cleaning = cleaning;
    }

    /** The profile implementing a core compatibility profile's prompt conventions ({@link CompatProfile#prompts()}). */
    public static PromptProfile of(CompatProfile.PromptStyle style) {
        return switch (style) {
            case COMFYUI -> COMFYUI;
            case A1111 -> A1111;
        };
    }

    /** The profile's lower-case name, as the CLI takes it ("comfyui", "a1111"). */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The text cleaning this UI's tokenizer gets in a standard install. */
    public TextCleaning cleaning() {
        return cleaning;
    }

    /** The prompt's weighted runs in this UI's syntax. */
    public List<PromptAttention.Run> parse(String prompt) {
        return this == A1111 ? PromptAttention.a1111(prompt) : PromptAttention.comfyui(prompt);
    }

    /** The prompt as this UI's token windows with per-token weights. */
    public TokenWindows tokenize(ClipTokenizer tok, String prompt) {
        List<PromptAttention.Run> runs = parse(prompt);
        return this == A1111 ? PromptChunking.a1111(tok, runs, cleaning) : PromptChunking.comfyui(tok, runs, cleaning);
    }

    /** Whether {@link #weight} needs the empty prompt's encoding for these windows (ComfyUI, when weighted). */
    public boolean needsEmptyEncoding(TokenWindows windows) {
        return this == COMFYUI && windows.hasWeights();
    }

    /**
     * The hidden states [windows, 77, width] with the prompt weights applied this UI's way.
     *
     * @param empty the empty window's hidden states [77, width] when {@link #needsEmptyEncoding}, else ignored
     */
    public float[] weight(float[] hidden, TokenWindows windows, int width, float[] empty) {
        return this == A1111 ? PromptWeighting.a1111(hidden, windows, width)
                : PromptWeighting.comfyui(hidden, windows, width, empty);
    }
}
