package dev.stepwise.onnx.sd;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepwise.core.CompatProfile;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.model.Network;
import dev.stepwise.core.model.NetworkDenoiser;
import dev.stepwise.core.model.Prediction;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.text.ClipTokenizer;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Stable Diffusion checkpoint exported to ONNX by diffusers/optimum: the folder read and checked
 * ({@code model_index.json}, {@code scheduler/scheduler_config.json}, the tokenizers, text encoders, UNet or SD3
 * transformer and VAE decoder), its sessions opened once. A malformed folder fails at {@link #load} with one
 * {@link IllegalArgumentException} line naming the file and what was expected. Close it to free the sessions.
 */
public final class SdModel implements AutoCloseable {
    private final Path dir;
    private final Family family;
    private final SchedulerConfig scheduler;
    private final ModelSampling sampling;
    private final List<TextEncoder> encoders;
    private final T5Encoder t5;
    private final TextEncoders promptEncoder;
    private final TypedSession denoiserSession;
    private final SdNetwork network;
    private final VaeDecoder vae;
    private final OnnxOptions options;
    private VaeEncoder vaeEncoder;   // opened on first use: text-to-image never needs it

    private SdModel(Path dir, Family family, SchedulerConfig scheduler, List<TextEncoder> encoders, T5Encoder t5,
                    TypedSession denoiserSession, SdNetwork network, VaeDecoder vae, OnnxOptions options) {
        this.dir = dir;
        this.family = family;
        this.scheduler = scheduler;
        this.sampling = CompatProfile.TimestepRule.NEAREST.apply(scheduler.sampling());
        this.encoders = encoders;
        this.t5 = t5;
        this.denoiserSession = denoiserSession;
        this.network = network;
        this.vae = vae;
        this.options = options;
        this.promptEncoder = new TextEncoders(family, encoders, network.contextWidth(), t5);
    }

    /** Whether {@code dir} is a diffusers model folder (it has {@code model_index.json}). */
    public static boolean isModelFolder(Path dir) {
        return Files.isRegularFile(dir.resolve("model_index.json"));
    }

    /**
     * The folder's noise schedule as {@link #sampling()} gives it, read from {@code scheduler/scheduler_config.json}
     * alone (no session): what a plan needs to turn NFE budgets into step counts before the model is opened.
     */
    public static ModelSampling sampling(Path dir) {
        return CompatProfile.TimestepRule.NEAREST.apply(
                SchedulerConfig.read(dir.resolve("scheduler").resolve("scheduler_config.json")).sampling());
    }

    /** Reads the folder, opens its sessions and checks that the parts fit. */
    public static SdModel load(Path dir, OnnxOptions options) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": no such folder (expected a diffusers/optimum ONNX export)");
        }
        JsonNode index = Json.read(dir.resolve("model_index.json"),
                "the pipeline's parts, as diffusers/optimum write it when exporting to ONNX");
        SchedulerConfig scheduler = SchedulerConfig.read(dir.resolve("scheduler").resolve("scheduler_config.json"));
        Map<String, ClipTokenizer> tokenizers = new HashMap<>();   // SD1/SD2 detection reads the first one already
        Family family = family(dir, index, scheduler, tokenizers);
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            List<TextEncoder> encoders = new ArrayList<>();
            for (Family.Encoder e : family.encoders()) {
                ClipTokenizer tokenizer = tokenizers.computeIfAbsent(e.tokenizer(),
                        t -> ClipTokenizer.load(dir.resolve(t)));
                TextEncoder enc = TextEncoder.open(dir, e, tokenizer, options);
                opened.add(enc);
                encoders.add(enc);
            }
            T5Encoder t5 = family == Family.SD3 ? T5Encoder.openIfPresent(dir, options) : null;
            if (t5 != null) {
                opened.add(t5);
            }
            Family.Denoiser d = family.denoiser();
            TypedSession ds = TypedSession.open(dir.resolve(d.folder()).resolve("model.onnx"),
                    d.folder().equals("unet") ? "the UNet" : "the SD3 transformer", options);
            opened.add(ds);
            SdNetwork network = new SdNetwork(family, ds, options.maxBatch());
            checkWidths(family, encoders, network);
            checkT5(t5, network);
            double[] factors = vaeFactors(dir, family);
            TypedSession vs = TypedSession.open(dir.resolve("vae_decoder").resolve("model.onnx"), "the VAE decoder",
                    options);
            opened.add(vs);
            VaeDecoder vae = new VaeDecoder(vs, family, factors[0], factors[1]);
            return new SdModel(dir, family, scheduler, encoders, t5, ds, network, vae, options);
        } catch (RuntimeException e) {
            for (AutoCloseable c : opened) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * The tokenizers of a model folder in its family's encoder order, read without opening any ONNX session (for
     * showing how a prompt is cut into windows).
     */
    public static List<ClipTokenizer> tokenizers(Path dir) {
        JsonNode index = Json.read(dir.resolve("model_index.json"),
                "the pipeline's parts, as diffusers/optimum write it when exporting to ONNX");
        SchedulerConfig scheduler = SchedulerConfig.read(dir.resolve("scheduler").resolve("scheduler_config.json"));
        List<ClipTokenizer> out = new ArrayList<>();
        Map<String, ClipTokenizer> tokenizers = new HashMap<>();
        for (Family.Encoder e : family(dir, index, scheduler, tokenizers).encoders()) {
            out.add(tokenizers.computeIfAbsent(e.tokenizer(), t -> ClipTokenizer.load(dir.resolve(t))));
        }
        return out;
    }

    /** The family from model_index.json's pipeline class; SD1 and SD2 share a class and differ in the pad token. */
    static Family family(Path dir, JsonNode index, SchedulerConfig scheduler, Map<String, ClipTokenizer> tokenizers) {
        Path file = dir.resolve("model_index.json");
        String cls = index.path("_class_name").asText("");
        String plain = cls.replaceFirst("^(ORT|Onnx)", "");
        Family f;
        if (plain.startsWith("StableDiffusion3")) {
            f = Family.SD3;
        } else if (plain.startsWith("StableDiffusionXL")) {
            f = Family.SDXL;
        } else if (plain.startsWith("StableDiffusion")) {
            ClipTokenizer t = tokenizers.computeIfAbsent("tokenizer", n -> ClipTokenizer.load(dir.resolve(n)));
            f = t.pad() == t.eos() ? Family.SD1 : Family.SD2;
        } else {
            throw new IllegalArgumentException(file + ": _class_name '" + cls + "', expected a Stable Diffusion pipeline"
                    + " (StableDiffusionPipeline, StableDiffusionXLPipeline or StableDiffusion3Pipeline)");
        }
        boolean flow = scheduler.prediction() == Prediction.FLOW;
        if (flow != f.flow()) {
            throw new IllegalArgumentException(dir.resolve("scheduler").resolve("scheduler_config.json") + ": "
                    + scheduler.className() + " for an " + f.title() + " pipeline, expected "
                    + (f.flow() ? "FlowMatchEulerDiscreteScheduler" : "a discrete (DDPM-family) scheduler"));
        }
        return f;
    }

    /** The text encoders' widths against the denoiser's context and pooled inputs. */
    private static void checkWidths(Family family, List<TextEncoder> encoders, SdNetwork network) {
        int sum = 0;
        StringBuilder from = new StringBuilder();
        int pooled = 0;
        for (TextEncoder e : encoders) {
            if (e.width() < 1) {
                return;   // a free width: nothing to compare before running
            }
            sum += e.width();
            from.append(from.isEmpty() ? "" : " + ").append(e.width()).append(" from ")
                    .append(e.spec().folder()).append('/').append(e.hiddenOutput());
            pooled += e.pooledWidth();
        }
        int ctx = network.contextWidth();
        String input = family.denoiser().context();
        if (ctx > 0 && (family.padsContext() ? sum > ctx : sum != ctx)) {
            throw new IllegalArgumentException(network.file() + ": input '" + input + "' takes " + ctx
                    + " values per token, but the text encoders give " + sum + " (" + from + ")"
                    + (family.padsContext() ? "; expected at most " + ctx : "; expected them to match"));
        }
        int p = network.pooledWidth();
        if (family.denoiser().pooled() != null && p > 0 && p != pooled) {
            throw new IllegalArgumentException(network.file() + ": input '" + family.denoiser().pooled() + "' takes "
                    + p + " values, but the text encoders' pooled outputs give " + pooled + "; expected them to match");
        }
    }

    /** T5's width against the transformer's context: its tokens go after CLIP's (padded) ones, so they must match. */
    private static void checkT5(T5Encoder t5, SdNetwork network) {
        int ctx = network.contextWidth();
        if (t5 != null && t5.width() > 0 && ctx > 0 && t5.width() != ctx) {
            throw new IllegalArgumentException(t5.file() + ": output 'last_hidden_state' has " + t5.width()
                    + " values per token, expected " + ctx + " (the width of " + network.file() + "'s input '"
                    + Family.SD3.denoiser().context() + "', which takes T5's tokens after CLIP's)");
        }
    }

    /** scaling_factor and shift_factor from vae_decoder/config.json where given, else the family's. */
    private static double[] vaeFactors(Path dir, Family family) {
        Path file = dir.resolve("vae_decoder").resolve("config.json");
        JsonNode c = Json.readIfPresent(file);
        double scale = family.scaleFactor(), shift = family.shiftFactor();
        if (c != null) {
            scale = c.path("scaling_factor").asDouble(scale);
            shift = c.path("shift_factor").isNumber() ? c.get("shift_factor").asDouble() : shift;
            if (!(scale > 0) || Double.isInfinite(scale) || !Double.isFinite(shift)) {
                throw new IllegalArgumentException(file + ": scaling_factor " + scale + " and shift_factor " + shift
                        + ", expected a finite scale > 0 and a finite shift");
            }
        }
        return new double[] {scale, shift};
    }

    public Path dir() {
        return dir;
    }

    /** The folder's name, as the infotext's Model field shows it. */
    public String name() {
        Path n = dir.toAbsolutePath().normalize().getFileName();
        return n == null ? "model" : n.toString();
    }

    /**
     * A1111's short model hash: the first 10 hex digits of the SHA-256 of the checkpoint file
     * (modules/sd_models.py, CheckpointInfo.calculate_shorthash). An ONNX folder has no single checkpoint file;
     * this hashes the denoiser's {@code unet/model.onnx} (or {@code transformer/model.onnx}), the file that
     * identifies the weights (its external data file, where there is one, is not read).
     */
    public String shortHash() {
        Path file = dir.resolve(family.denoiser().folder()).resolve("model.onnx");
        try (java.io.InputStream in = Files.newInputStream(file)) {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
            return java.util.HexFormat.of().formatHex(sha.digest()).substring(0, 10);
        } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash " + file + ": " + e.getMessage(), e);
        }
    }

    public Family family() {
        return family;
    }

    /** The image size the model was trained at (SD2: 768 for v-prediction, 512 for eps), the default width. */
    public int nativeSize() {
        return family.nativeSize(scheduler.prediction());
    }

    public SchedulerConfig scheduler() {
        return scheduler;
    }

    /** The parameterisation the samplers see (ComfyUI's nearest-timestep rule for discrete models). */
    public ModelSampling sampling() {
        return sampling;
    }

    /** Whether the folder's T5 encoder (SD3's {@code text_encoder_3}) is in use. */
    public boolean hasT5() {
        return t5 != null;
    }

    /** Where prompts become conditioning; prompt weighting plugs in here. */
    public PromptEncoder promptEncoder() {
        return promptEncoder;
    }

    public VaeDecoder vae() {
        return vae;
    }

    /**
     * The VAE encoder ({@code vae_encoder/model.onnx}), opened on the first call with the decoder's scale and shift;
     * a folder without one fails here with one line naming the file.
     */
    public VaeEncoder vaeEncoder() {
        if (vaeEncoder == null) {
            Path file = dir.resolve("vae_encoder").resolve("model.onnx");
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(file + ": no such file (img2img needs the VAE encoder of the export)");
            }
            TypedSession session = TypedSession.open(file, "the VAE encoder", options);
            try {
                vaeEncoder = new VaeEncoder(session, family, vae.scale(), vae.shift());
            } catch (RuntimeException e) {
                session.close();
                throw e;
            }
        }
        return vaeEncoder;
    }

    /** Latent channels, width and height for an image of {@code width} x {@code height} pixels (multiples of 8). */
    public int[] latentShape(int width, int height) {
        checkSize("width", width);
        checkSize("height", height);
        return new int[] {family.latentChannels(), height / 8, width / 8};
    }

    /** A size in pixels: a positive multiple of 8 (the VAE's factor), else one line naming it. */
    public static void checkSize(String what, int pixels) {
        if (pixels < 8 || pixels % 8 != 0) {
            int lo = Math.max(8, pixels / 8 * 8);
            throw new IllegalArgumentException(what + " " + pixels + " is not allowed; " + what
                    + " must be a positive multiple of 8 (the VAE's factor), such as " + lo + " or " + (lo + 8));
        }
    }

    /** The core model to sample at this image size. Its denoiser is not thread-safe. */
    public Model model(int width, int height) {
        return model(network, width, height);
    }

    /** As {@link #model(int, int)} over {@code network}, this model's {@link #network()} or a wrapper of it (timing). */
    public Model model(Network network, int width, int height) {
        return model(network, width, height, CompatProfile.TimestepRule.NEAREST);
    }

    /**
     * As {@link #model(Network, int, int)} with a profile's timestep rule: ComfyUI's nearest training step, or A1111's
     * interpolated timestep (flow models are unaffected).
     */
    public Model model(Network network, int width, int height, CompatProfile.TimestepRule timesteps) {
        ModelSampling s = timesteps.apply(sampling);
        return new Model(name(), new NetworkDenoiser(network, s), s, latentShape(width, height));
    }

    /** The UNet or transformer as the core's raw network (scaled latent, timestep, {@link SdConditioning} rows). */
    public Network network() {
        return network;
    }

    /** Decodes latent {@code index} of a batch to an RGB image. */
    public BufferedImage image(Tensor latents, int index) {
        return VaeDecoder.toImage(vae.decode(latents, index));
    }

    @Override
    public void close() {
        RuntimeException first = null;
        List<AutoCloseable> all = new ArrayList<>(encoders);
        if (t5 != null) {
            all.add(t5);
        }
        all.add(denoiserSession);
        all.add(vae);
        if (vaeEncoder != null) {
            all.add(vaeEncoder);
        }
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
