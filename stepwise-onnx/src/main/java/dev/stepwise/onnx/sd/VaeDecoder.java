package dev.stepwise.onnx.sd;

import dev.stepwise.core.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The VAE decoder of a model folder: {@code latent_sample} [B, C, h, w] to {@code sample} [B, 3, 8h, 8w] in
 * [-1, 1]. The sampler's latent is unscaled first, z = latent / scale + shift (diffusers:
 * {@code latents / vae.config.scaling_factor + vae.config.shift_factor}; ComfyUI's latent_format.process_out).
 */
public final class VaeDecoder implements AutoCloseable {
    private final TypedSession session;
    private final double scale;
    private final double shift;

    VaeDecoder(TypedSession session, Family family, double scale, double shift) {
        this.session = session;
        this.scale = scale;
        this.shift = shift;
        long[] in = session.input("latent_sample", 4);
        if (in[1] > 0 && in[1] != family.latentChannels()) {
            throw new IllegalArgumentException(session.file() + ": input 'latent_sample' has " + in[1]
                    + " channels, expected " + family.latentChannels() + " (" + family.title() + " latents)");
        }
        long[] out = session.output("sample", 4);
        if (out[1] > 0 && out[1] != 3) {
            throw new IllegalArgumentException(session.file() + ": output 'sample' has " + out[1]
                    + " channels, expected 3 (RGB)");
        }
    }

    public double scale() {
        return scale;
    }

    public double shift() {
        return shift;
    }

    /**
     * Decodes one latent of the batch to [3, 8h, 8w] pixels in about [-1, 1] (one image a call, to bound memory),
     * in tiles above {@link VaeTiling#DEFAULT}'s size.
     */
    public Tensor decode(Tensor latents, int index) {
        return decode(latents, index, VaeTiling.DEFAULT);
    }

    /** As {@link #decode(Tensor, int)}, tiled as {@code tiling} says. */
    public Tensor decode(Tensor latents, int index, VaeTiling tiling) {
        int[] s = latents.shape();
        int row = latents.rowSize();
        float[] z = Arrays.copyOfRange(latents.data(), index * row, (index + 1) * row);
        float inv = (float) (1 / scale), sh = (float) shift;
        for (int i = 0; i < z.length; i++) {
            z[i] = z[i] * inv + sh;
        }
        if (!tiling.tiles(s[2], s[3])) {
            return run(z, s[1], s[2], s[3]);
        }
        return tiling.decode(z, s[1], s[2], s[3], this::run);
    }

    /** One session run on an unscaled latent [C, h, w]. */
    private Tensor run(float[] z, int channels, int h, int w) {
        TypedSession.Output o = session.run(Map.of("latent_sample", TypedSession.Input.of(z, 1, channels, h, w)),
                List.of("sample")).get("sample");
        long[] os = o.shape();
        return Tensor.wrap(o.data(), (int) os[1], (int) os[2], (int) os[3]);
    }

    /**
     * Pixels [3, H, W] in [-1, 1] as an RGB image the way ComfyUI saves it: clamp((x + 1) / 2, 0, 1), times 255 in
     * float32, truncated to a byte (comfy/sd.py VAE.decode, nodes.py SaveImage); A1111 also truncates.
     */
    public static BufferedImage toImage(Tensor pixels) {
        int h = pixels.dim(1), w = pixels.dim(2);
        float[] p = pixels.data();
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int plane = h * w;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    rgb = (rgb << 8) | toByte(p[c * plane + y * w + x]);
                }
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }

    static int toByte(float v) {
        float u = Math.min(Math.max((v + 1f) / 2f, 0f), 1f);
        return (int) (255f * u);
    }

    @Override
    public void close() {
        session.close();
    }
}
