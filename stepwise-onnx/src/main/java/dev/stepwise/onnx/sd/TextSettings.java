package dev.stepwise.onnx.sd;

import dev.stepwise.core.CompatProfile;
import dev.stepwise.onnx.text.PromptProfile;

/**
 * How a prompt becomes conditioning besides its tokens: the UI whose prompt syntax, chunking and weighting apply
 * ({@link PromptProfile}), and clip skip under that UI's rule ({@link CompatProfile.ClipSkipRule}).
 *
 * @param profile  the prompt syntax, 77-token windows and weighting
 * @param rule     which text encoders a clip skip changes, and how
 * @param clipSkip A1111's numbering: 1 = the last layer, 2 = the one before, ...; 0 = the family's own layer (what
 *                 both UIs use when nothing is set)
 */
public record TextSettings(PromptProfile profile, CompatProfile.ClipSkipRule rule, int clipSkip) {
    /** ComfyUI's prompts at the family's own layer: the default. */
    public static final TextSettings COMFYUI = of(CompatProfile.COMFYUI, 0);

    public TextSettings {
        if (profile == null || rule == null) {
            throw new IllegalArgumentException("a prompt profile and a clip-skip rule are needed");
        }
        if (clipSkip < 0) {
            throw new IllegalArgumentException("clip skip " + clipSkip + " is not allowed; use 1 (the text encoder's"
                    + " last layer), 2 (the one before), ... or leave it unset for the model's own layer");
        }
    }

    /** A core compatibility profile's prompt and clip-skip conventions, with {@code clipSkip} (0 = unset). */
    public static TextSettings of(CompatProfile compat, int clipSkip) {
        return new TextSettings(PromptProfile.of(compat.prompts()), compat.clipSkip(), clipSkip);
    }
}
