package dev.stepwise.onnx.sd;

import java.util.List;

/**
 * A Stable Diffusion checkpoint family: how the parts of its folder fit together (which text encoders and which of
 * their outputs, which denoiser inputs, the latent channels and the VAE's scale and shift). The layers chosen are
 * ComfyUI's defaults for the diffusers export (comfy/sd1_clip.py, sd2_clip.py, sdxl_clip.py, sd3_clip.py): SD2's
 * export already stops at the penultimate layer with the final layer norm, so its last_hidden_state is ComfyUI's
 * "penultimate"; SDXL and SD3 take hidden_states[-2] without the final norm.
 */
public sealed interface Family {

    /** Which output of a text encoder is the per-token conditioning. */
    enum Layer {
        /** {@code last_hidden_state}. */
        LAST,
        /** {@code hidden_states.(N-1)}: the input of the last layer (diffusers' hidden_states[-2]). */
        PENULTIMATE
    }

    /** One text encoder of the family: its folder, its tokenizer folder, the layer used and the pooled output (or null). */
    record Encoder(String folder, String tokenizer, Layer layer, String pooled) {
    }

    /** The denoiser's folder and input/output names, as the optimum export names them. */
    record Denoiser(String folder, String sample, String timestep, String context, String pooled, String timeIds,
                    String out) {
    }

    String id();

    /** A name for messages and the infotext, e.g. "SDXL". */
    String title();

    List<Encoder> encoders();

    Denoiser denoiser();

    int latentChannels();

    /** The VAE's scaling_factor: latent = (z - shift) * scale. */
    double scaleFactor();

    /** The VAE's shift_factor (0 except SD3). */
    default double shiftFactor() {
        return 0;
    }

    /** The image size the family was trained at, used when --width/--height are not given. */
    int nativeSize();

    /**
     * The conditioning of one prompt from each encoder's output, in {@link #encoders()} order. SD1/SD2: the hidden
     * states. SDXL: both hidden states side by side, pooled from the second encoder. SD3: CLIP-L and CLIP-G side by
     * side, zero-padded to the transformer's width ({@code contextWidth}), as ComfyUI does without T5
     * (comfy/text_encoders/sd3_clip.py), pooled = both projected poolings. A {@code text_encoder_3} (T5) in the
     * folder is not used yet: its SentencePiece tokenizer is not implemented.
     */
    SdConditioning combine(List<TextEncoder.Encoded> parts, int contextWidth);

    record Sd1() implements Family {
        @Override
        public String id() {
            return "sd1";
        }

        @Override
        public String title() {
            return "SD1";
        }

        @Override
        public List<Encoder> encoders() {
            return List.of(new Encoder("text_encoder", "tokenizer", Layer.LAST, null));
        }

        @Override
        public Denoiser denoiser() {
            return UNET;
        }

        @Override
        public int latentChannels() {
            return 4;
        }

        @Override
        public double scaleFactor() {
            return 0.18215;
        }

        @Override
        public int nativeSize() {
            return 512;
        }

        @Override
        public SdConditioning combine(List<TextEncoder.Encoded> parts, int contextWidth) {
            return SdConditioning.concat(parts, contextWidth, null);
        }
    }

    /** SD2.x: OpenCLIP-H, pads with "!"; 768 for the v-prediction models, 512 for the eps base. */
    record Sd2(boolean vPrediction) implements Family {
        @Override
        public String id() {
            return "sd2";
        }

        @Override
        public String title() {
            return "SD2";
        }

        @Override
        public List<Encoder> encoders() {
            return List.of(new Encoder("text_encoder", "tokenizer", Layer.LAST, null));
        }

        @Override
        public Denoiser denoiser() {
            return UNET;
        }

        @Override
        public int latentChannels() {
            return 4;
        }

        @Override
        public double scaleFactor() {
            return 0.18215;
        }

        @Override
        public int nativeSize() {
            return vPrediction ? 768 : 512;
        }

        @Override
        public SdConditioning combine(List<TextEncoder.Encoded> parts, int contextWidth) {
            return SdConditioning.concat(parts, contextWidth, null);
        }
    }

    record Sdxl() implements Family {
        @Override
        public String id() {
            return "sdxl";
        }

        @Override
        public String title() {
            return "SDXL";
        }

        @Override
        public List<Encoder> encoders() {
            return List.of(new Encoder("text_encoder", "tokenizer", Layer.PENULTIMATE, null),
                    new Encoder("text_encoder_2", "tokenizer_2", Layer.PENULTIMATE, "text_embeds"));
        }

        @Override
        public Denoiser denoiser() {
            return new Denoiser("unet", "sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids",
                    "out_sample");
        }

        @Override
        public int latentChannels() {
            return 4;
        }

        @Override
        public double scaleFactor() {
            return 0.13025;
        }

        @Override
        public int nativeSize() {
            return 1024;
        }

        @Override
        public SdConditioning combine(List<TextEncoder.Encoded> parts, int contextWidth) {
            return SdConditioning.concat(parts, contextWidth, parts.get(1).pooled());
        }
    }

    record Sd3() implements Family {
        @Override
        public String id() {
            return "sd3";
        }

        @Override
        public String title() {
            return "SD3";
        }

        @Override
        public List<Encoder> encoders() {
            return List.of(new Encoder("text_encoder", "tokenizer", Layer.PENULTIMATE, "text_embeds"),
                    new Encoder("text_encoder_2", "tokenizer_2", Layer.PENULTIMATE, "text_embeds"));
        }

        @Override
        public Denoiser denoiser() {
            return new Denoiser("transformer", "hidden_states", "timestep", "encoder_hidden_states",
                    "pooled_projections", null, "out_hidden_states");
        }

        @Override
        public int latentChannels() {
            return 16;
        }

        @Override
        public double scaleFactor() {
            return 1.5305;
        }

        @Override
        public double shiftFactor() {
            return 0.0609;
        }

        @Override
        public int nativeSize() {
            return 1024;
        }

        @Override
        public SdConditioning combine(List<TextEncoder.Encoded> parts, int contextWidth) {
            float[] a = parts.get(0).pooled(), b = parts.get(1).pooled();
            float[] pooled = new float[a.length + b.length];
            System.arraycopy(a, 0, pooled, 0, a.length);
            System.arraycopy(b, 0, pooled, a.length, b.length);
            return SdConditioning.concat(parts, contextWidth, pooled);
        }
    }

    Denoiser UNET = new Denoiser("unet", "sample", "timestep", "encoder_hidden_states", null, null, "out_sample");
}
