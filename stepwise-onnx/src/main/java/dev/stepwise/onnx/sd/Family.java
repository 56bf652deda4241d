package dev.stepwise.onnx.sd;

import dev.stepwise.core.model.Prediction;
import java.util.List;

/**
 * A Stable Diffusion checkpoint family: how the parts of its folder fit together (which text encoders and which of
 * their outputs, which denoiser inputs, the latent channels and the VAE's scale and shift, the native size and the
 * kind of model sampling). One constant per family; only the values differ. The layers chosen are ComfyUI's
 * defaults for the diffusers export (comfy/sd1_clip.py, sd2_clip.py, sdxl_clip.py, sd3_clip.py): SD2's export
 * already stops at the penultimate layer with the final layer norm, so its last_hidden_state is ComfyUI's
 * "penultimate"; SDXL and SD3 take hidden_states[-2] without the final norm.
 */
public enum Family {
    SD1("sd1", "SD1", List.of(new Encoder("text_encoder", "tokenizer", 1, 0, true, null)), Denoiser.UNET,
            Pooling.NONE, false, 4, 0.18215, 0, 512, 512, false),
    /**
     * SD2.x: OpenCLIP-H, pads with "!"; 768 for the v-prediction models, 512 for the eps base. Its diffusers export
     * has 23 of the 24 layers, so its last_hidden_state is the UIs' penultimate layer with the final norm.
     */
    SD2("sd2", "SD2", List.of(new Encoder("text_encoder", "tokenizer", 2, 1, true, null)), Denoiser.UNET,
            Pooling.NONE, false, 4, 0.18215, 0, 512, 768, false),
    SDXL("sdxl", "SDXL", List.of(new Encoder("text_encoder", "tokenizer", 2, 0, false, null),
            new Encoder("text_encoder_2", "tokenizer_2", 2, 0, false, "text_embeds")),
            new Denoiser("unet", "sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids",
                    "out_sample"), Pooling.LAST, false, 4, 0.13025, 0, 1024, 1024, false),
    /**
     * SD3: CLIP-L and CLIP-G side by side, zero-padded to the transformer's width, pooled = both projected
     * poolings; where the folder has {@code text_encoder_3}, T5's tokens after them along the sequence
     * ({@link T5Encoder}); without it CLIP's alone, as ComfyUI does (comfy/text_encoders/sd3_clip.py).
     */
    SD3("sd3", "SD3", List.of(new Encoder("text_encoder", "tokenizer", 2, 0, false, "text_embeds"),
            new Encoder("text_encoder_2", "tokenizer_2", 2, 0, false, "text_embeds")),
            new Denoiser("transformer", "hidden_states", "timestep", "encoder_hidden_states", "pooled_projections",
                    null, "out_hidden_states"), Pooling.CONCAT, true, 16, 1.5305, 0.0609, 1024, 1024, true);

    /** Where the pooled text embedding comes from. */
    enum Pooling {
        NONE,
        /** The last encoder's pooled output (SDXL: text_encoder_2's text_embeds). */
        LAST,
        /** Every encoder's pooled output, concatenated (SD3). */
        CONCAT
    }

    /**
     * One text encoder of the family.
     *
     * @param folder      its folder in the export
     * @param tokenizer   its tokenizer's folder
     * @param clipSkip    the layer both UIs use when no clip skip is set, as a clip skip (1 = the last layer, 2 =
     *                    the penultimate: ComfyUI's defaults in sd1_clip.py, sd2_clip.py, sdxl_clip.py, sd3_clip.py)
     * @param dropped     the layers at the end that the diffusers export leaves out (SD2: 1)
     * @param normsHidden whether the final layer norm is applied to an intermediate layer too (ComfyUI's
     *                    layer_norm_hidden_state: SD1 and SD2 yes, SDXL's and SD3's encoders no)
     * @param pooled      the pooled output the family takes, or null
     */
    public record Encoder(String folder, String tokenizer, int clipSkip, int dropped, boolean normsHidden,
                          String pooled) {
    }

    /** The denoiser's folder and input/output names, as the optimum export names them. */
    public record Denoiser(String folder, String sample, String timestep, String context, String pooled, String timeIds,
                           String out) {
        static final Denoiser UNET = new Denoiser("unet", "sample", "timestep", "encoder_hidden_states", null, null,
                "out_sample");
    }

    private final String id;
    private final String title;
    private final List<Encoder> encoders;
    private final Denoiser denoiser;
    private final Pooling pooling;
    private final boolean padsContext;
    private final int latentChannels;
    private final double scaleFactor;
    private final double shiftFactor;
    private final int epsSize;
    private final int vSize;
    private final boolean flow;

    Family(String id, String title, List<Encoder> encoders, Denoiser denoiser, Pooling pooling, boolean padsContext,
           int latentChannels, double scaleFactor, double shiftFactor, int epsSize, int vSize, boolean flow) {
        this.id = id;
        this.title = title;
        this.encoders = encoders;
        this.denoiser = denoiser;
        this.pooling = pooling;
        this.padsContext = padsContext;
        this.latentChannels = latentChannels;
        this.scaleFactor = scaleFactor;
        this.shiftFactor = shiftFactor;
        this.epsSize = epsSize;
        this.vSize = vSize;
        this.flow = flow;
    }

    public String id() {
        return id;
    }

    /** A name for messages and the infotext, e.g. "SDXL". */
    public String title() {
        return title;
    }

    public List<Encoder> encoders() {
        return encoders;
    }

    public Denoiser denoiser() {
        return denoiser;
    }

    public int latentChannels() {
        return latentChannels;
    }

    /** The VAE's scaling_factor: latent = (z - shift) * scale. */
    public double scaleFactor() {
        return scaleFactor;
    }

    /** The VAE's shift_factor (0 except SD3). */
    public double shiftFactor() {
        return shiftFactor;
    }

    /** The image size the family was trained at for this prediction type, used when --width/--height are not given. */
    public int nativeSize(Prediction prediction) {
        return prediction == Prediction.V ? vSize : epsSize;
    }

    /**
     * Whether the model samples as a rectified flow (ComfyUI's ModelSamplingDiscreteFlow, SD3) rather than discrete
     * VP over training betas (ModelSamplingDiscrete); the folder's scheduler_config.json must agree.
     */
    public boolean flow() {
        return flow;
    }

    /**
     * Whether the text encoders' widths may sum to less than the denoiser's context width, the rest zero-padded (SD3
     * without T5); otherwise they must match it.
     */
    public boolean padsContext() {
        return padsContext;
    }

    /**
     * The conditioning of one prompt from each encoder's output, in {@link #encoders()} order: the hidden states side
     * by side (zero-padded to {@code contextWidth}), with the pooled embedding the family takes.
     */
    SdConditioning combine(List<TextEncoder.Encoded> parts, int contextWidth) {
        float[] pooled = switch (pooling) {
            case NONE -> null;
            case LAST -> parts.getLast().pooled();
            case CONCAT -> {
                int n = parts.stream().mapToInt(p -> p.pooled().length).sum();
                float[] all = new float[n];
                int at = 0;
                for (TextEncoder.Encoded p : parts) {
                    System.arraycopy(p.pooled(), 0, all, at, p.pooled().length);
                    at += p.pooled().length;
                }
                yield all;
            }
        };
        return SdConditioning.concat(parts, contextWidth, pooled);
    }
}
