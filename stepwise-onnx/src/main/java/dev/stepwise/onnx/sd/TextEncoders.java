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

    TextEncoders(Family family, List<TextEncoder> encoders, int contextWidth) {
        this.family = family;
        this.encoders = List.copyOf(encoders);
        this.contextWidth = contextWidth;
    }

    /** The encoders, in the family's order. */
    List<TextEncoder> encoders() {
        return encoders;
    }

    @Override
    public List<ClipTokenizer> tokenizers() {
        return encoders.stream().map(TextEncoder::tokenizer).toList();
    }

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
        return combine(parts);
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
