package dev.stepwise.onnx.sd;

import dev.stepwise.onnx.text.ClipTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns token windows into a Stable Diffusion conditioning: the one place where text meets the model, so that
 * prompt weighting and other chunking rules can tokenize on their own and call {@link #encode(List)}, or post-process
 * the result (for example scale rows of {@link SdConditioning#context()} per token).
 */
public interface PromptEncoder {

    /** The tokenizer of each text encoder, in the family's order (SDXL's second one pads with "!"). */
    List<ClipTokenizer> tokenizers();

    /**
     * The conditioning of one prompt. {@code windows.get(e)} holds the 77-token windows (BOS, tokens, EOS, pad) for
     * encoder {@code e}; every encoder gets the same number of windows. Their encodings are concatenated along the
     * tokens; pooled outputs come from the first window, as ComfyUI does.
     */
    SdConditioning encode(List<List<int[]>> windows);

    /** A plain prompt (no weights): each tokenizer's {@link ClipTokenizer#windows} (75-token chunks, BREAK). */
    default SdConditioning encode(String prompt) {
        List<List<int[]>> windows = new ArrayList<>();
        for (ClipTokenizer t : tokenizers()) {
            windows.add(t.windows(prompt));
        }
        return encode(windows);
    }
}
