package dev.stepwise.onnx.sd;

import dev.stepwise.core.CompatProfile;
import dev.stepwise.onnx.text.ClipTokenizer;
import dev.stepwise.onnx.text.TokenWindows;
import java.util.ArrayList;
import java.util.List;

/** The {@link PromptEncoder} of a model folder: its text encoders, combined as the family says. */
final class TextEncoders implements PromptEncoder {
    private final Family family;
    private final List<TextEncoder> encoders;
    private final int contextWidth;
    private final T5Encoder t5;

    /** @param t5 SD3's T5 encoder, or null (no text_encoder_3, or another family) */
    TextEncoders(Family family, List<TextEncoder> encoders, int contextWidth, T5Encoder t5) {
        this.family = family;
        this.encoders = List.copyOf(encoders);
        this.contextWidth = contextWidth;
        this.t5 = t5;
    }

    /** SD3's T5 encoder, or null. */
    T5Encoder t5() {
        return t5;
    }

    /** The encoders, in the family's order. */
    List<TextEncoder> encoders() {
        return encoders;
    }

    @Override
    public List<ClipTokenizer> tokenizers() {
        return encoders.stream().map(TextEncoder::tokenizer).toList();
    }

    /**
     * {@inheritDoc} SD3's T5 needs the prompt's text, not CLIP's token ids: this conditioning has CLIP's part only,
     * as without text_encoder_3; {@link #encode(String)} and {@link #encode(String, TextSettings)} add T5's.
     */
    @Override
    public SdConditioning encode(List<List<int[]>> windows) {
        if (windows.size() != encoders.size()) {
            throw new IllegalArgumentException(family.title() + " has " + encoders.size() + " text encoders; got token"
                    + " windows for " + windows.size());
        }
        List<TextEncoder.Encoded> parts = new ArrayList<>();
        for (int e = 0; e < encoders.size(); e++) {
            if (windows.get(e).size() != windows.get(0).size()) {
                throw new IllegalArgumentException("text encoder " + (e + 1) + " got " + windows.get(e).size()
                        + " windows, the first " + windows.get(0).size() + "; every encoder needs the same count");
            }
            parts.add(encoders.get(e).encode(windows.get(e)));
        }
        return combine(parts);
    }

    /** A plain prompt: CLIP's windows as {@link PromptEncoder#encode(String)}, then T5's tokens where there is T5. */
    @Override
    public SdConditioning encode(String prompt) {
        SdConditioning clip = PromptEncoder.super.encode(prompt);
        return t5 == null ? clip : clip.append(t5.encode(T5Encoder.plain(t5.tokenizer(), prompt)));
    }

    /** {@inheritDoc} SD3's T5 tokens, where there is T5, go after CLIP's, as the profile's UI forms them. */
    @Override
    public SdConditioning encode(String prompt, TextSettings settings) {
        List<TextEncoder.Encoded> parts = new ArrayList<>();
        int count = -1;
        for (int e = 0; e < encoders.size(); e++) {
            TextEncoder enc = encoders.get(e);
            TokenWindows windows = settings.profile().tokenize(enc.tokenizer(), prompt);
            if (count >= 0 && windows.count() != count) {
                // The family's tokenizers share one vocabulary, so this means a malformed folder.
                throw new IllegalArgumentException(enc.file() + ": its tokenizer cuts the prompt into "
                        + windows.count() + " windows, the first encoder's " + count + "; expected the same count");
            }
            count = windows.count();
            parts.add(enc.encode(windows, settings.profile(), clipSkip(settings)));
        }
        SdConditioning clip = combine(parts);
        return t5 == null ? clip : clip.append(t5.encode(t5.tokens(prompt, settings.profile(), clip.tokens())));
    }

    /**
     * The clip skip the encoders get: the setting where the profile's rule applies it to this family (ComfyUI: every
     * encoder; A1111: SD1's only), else 0, the family's own layer.
     */
    private int clipSkip(TextSettings settings) {
        boolean applies = settings.rule() == CompatProfile.ClipSkipRule.EVERY_ENCODER || family == Family.SD1;
        return applies ? settings.clipSkip() : 0;
    }

    private SdConditioning combine(List<TextEncoder.Encoded> parts) {
        int width = contextWidth > 0 ? contextWidth : parts.stream().mapToInt(TextEncoder.Encoded::width).sum();
        return family.combine(parts, width);
    }
}
