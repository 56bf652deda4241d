package dev.stepwise.onnx.sd;

import dev.stepwise.core.model.Conditioning;
import java.util.Arrays;
import java.util.List;

/**
 * One prompt's conditioning for a Stable Diffusion denoiser: the per-token context ({@code tokens} rows of
 * {@code width} values, 77 per window, windows concatenated) and, for SDXL and SD3, the pooled text embedding
 * (empty otherwise). The arrays are the caller's to read; weighting code may build a new one from them.
 */
public record SdConditioning(float[] context, int tokens, int width, float[] pooled) implements Conditioning {
    public SdConditioning {
        if (tokens < 1 || width < 1 || context.length != (long) tokens * width) {
            throw new IllegalArgumentException("context of " + context.length + " values is not " + tokens + " tokens x "
                    + width);
        }
        pooled = pooled == null ? new float[0] : pooled;
    }

    /**
     * The encoders' hidden states side by side (token counts must agree), zero-padded on the right to
     * {@code width} values per token.
     */
    static SdConditioning concat(List<TextEncoder.Encoded> parts, int width, float[] pooled) {
        int tokens = parts.get(0).tokens();
        int sum = 0;
        for (TextEncoder.Encoded p : parts) {
            if (p.tokens() != tokens) {
                throw new IllegalArgumentException("text encoders gave " + p.tokens() + " and " + tokens + " tokens");
            }
            sum += p.width();
        }
        if (sum > width) {
            throw new IllegalArgumentException("text encoders give " + sum + " values per token; the denoiser takes " + width);
        }
        float[] c = new float[tokens * width];
        int offset = 0;
        for (TextEncoder.Encoded p : parts) {
            for (int t = 0; t < tokens; t++) {
                System.arraycopy(p.hidden(), t * p.width(), c, t * width + offset, p.width());
            }
            offset += p.width();
        }
        return new SdConditioning(c, tokens, width, pooled);
    }

    /**
     * This conditioning with another encoder's tokens after its own, along the sequence (SD3: T5's after CLIP-L and
     * CLIP-G, comfy/text_encoders/sd3_clip.py torch.cat(..., dim=-2)); the widths must agree.
     */
    SdConditioning append(TextEncoder.Encoded more) {
        if (more.width() != width) {
            throw new IllegalArgumentException("cannot append tokens of " + more.width() + " values to a context of "
                    + width);
        }
        float[] c = Arrays.copyOf(context, context.length + more.hidden().length);
        System.arraycopy(more.hidden(), 0, c, context.length, more.hidden().length);
        return new SdConditioning(c, tokens + more.tokens(), width, pooled);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SdConditioning s && tokens == s.tokens && width == s.width
                && Arrays.equals(context, s.context) && Arrays.equals(pooled, s.pooled);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(context) + Arrays.hashCode(pooled);
    }

    @Override
    public String toString() {
        return "text conditioning " + tokens + "x" + width + (pooled.length > 0 ? " + pooled " + pooled.length : "");
    }
}
