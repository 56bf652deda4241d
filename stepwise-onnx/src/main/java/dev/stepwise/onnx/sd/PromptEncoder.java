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

    /**
     * The conditioning of a prompt as a UI makes it: each encoder's tokenizer cuts it into the profile's weighted
     * windows, the encoder runs (ComfyUI's weighting also on the empty prompt, in the same batch), and the weights
     * are applied to that encoder's hidden states the profile's way; the pooled output is the first window's,
     * unweighted, as both UIs take it (comfy/sd1_clip.py encode_token_weights; A1111's sd_hijack_clip.py forward
     * returns zs[0].pooled).
     */
    SdConditioning encode(String prompt, TextSettings settings);

    /** A plain prompt (no weights): each tokenizer's {@link ClipTokenizer#windows} (75-token chunks, BREAK). */
    default SdConditioning encode(String prompt) {
        List<List<int[]>> windows = new ArrayList<>();
        for (ClipTokenizer t : tokenizers()) {
            windows.add(t.windows(prompt));
        }
        return encode(windows);
    }
}
