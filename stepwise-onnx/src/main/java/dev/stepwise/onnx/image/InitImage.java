package dev.stepwise.onnx.image;

import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.ModelConfig;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The input image of an img2img run: a PNG or JPEG read with javax.imageio, brought to the run's size with one of
 * A1111's resize modes, and turned into the VAE's pixels [3, H, W] in [-1, 1] as ComfyUI's LoadImage and VAE do
 * (value / 255 in float32, then 2x - 1; an alpha channel is dropped, as LoadImage's convert("RGB")).
 */
public final class InitImage {

    /** A1111's img2img resize modes (modules/images.py resize_image, modes 0 and 1). */
    public enum ResizeMode {
        /** "Just resize": stretched to the size, the aspect ratio not kept. */
        JUST,
        /** "Crop and resize": scaled to cover the size keeping the aspect ratio, the overflow cropped evenly. */
        CROP;

        /** "just" or "crop", else one line naming the value. */
        public static ResizeMode parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "just" -> JUST;
                case "crop" -> CROP;
                default -> throw new IllegalArgumentException("resize mode '" + s + "' is not known; use just (A1111's"
                        + " \"Just resize\") or crop (\"Crop and resize\")");
            };
        }
    }

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private InitImage() {
    }

    /**
     * Decodes PNG or JPEG bytes (an API's base64 init image).
     *
     * @throws IllegalArgumentException when they are not an image this Java runtime can decode
     */
    public static BufferedImage decode(byte[] bytes) {
        BufferedImage img;
        try {
            img = ImageIO.read(new java.io.ByteArrayInputStream(bytes));
        } catch (IOException e) {
            img = null;
        }
        if (img == null) {
            throw new IllegalArgumentException("not a PNG or JPEG image this Java runtime can decode");
        }
        return img;
    }

    /** Reads a PNG or JPEG; a missing or undecodable file gets one line naming it. */
    public static BufferedImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": no such file (expected a PNG or JPEG image)");
        }
        BufferedImage img = ImageIO.read(file.toFile());
        if (img == null) {
            throw new IllegalArgumentException(file + ": not a PNG or JPEG image this Java runtime can decode");
        }
        return img;
    }

    /**
     * The image at width x height. A same-size image is taken as it is; otherwise it is resampled bicubically (Java2D),
     * where A1111 uses PIL's Lanczos filter, so resized pixels differ from A1111's by interpolation noise. CROP
     * follows A1111's geometry: scale so the image covers the size (src_w = w, src_h = h_img * w / w_img when the
     * target is wider than the source, and the converse), then keep the centre (offsets (src - size) / 2, rounded
     * down as A1111's width // 2 - src_w // 2 paste).
     */
    public static BufferedImage resize(BufferedImage img, int width, int height, ResizeMode mode) {
        int iw = img.getWidth(), ih = img.getHeight();
        int sw = width, sh = height;
        if (mode == ResizeMode.CROP) {
            boolean wider = (double) width / height > (double) iw / ih;
            sw = wider ? width : (int) ((long) iw * height / ih);
            sh = wider ? (int) ((long) ih * width / iw) : height;
        }
        BufferedImage scaled = sw == iw && sh == ih ? rgb(img) : scale(img, sw, sh);
        if (sw == width && sh == height) {
            return scaled;
        }
        int x = sw / 2 - width / 2, y = sh / 2 - height / 2;
        return scaled.getSubimage(x, y, width, height);
    }

    private static BufferedImage rgb(BufferedImage img) {
        if (img.getType() == BufferedImage.TYPE_INT_RGB) {
            return img;
        }
        return scale(img, img.getWidth(), img.getHeight());
    }

    private static BufferedImage scale(BufferedImage img, int w, int h) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            g.drawImage(img, 0, 0, w, h, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    /** RGB pixels [3, H, W] in [-1, 1]: (v / 255) * 2 - 1 in float32, as ComfyUI's LoadImage then VAE.process_input. */
    public static Tensor pixels(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight(), plane = w * h;
        float[] p = new float[3 * plane];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                for (int c = 0; c < 3; c++) {
                    float v = ((rgb >> (16 - 8 * c)) & 0xff) / 255f;
                    p[c * plane + y * w + x] = v * 2f - 1f;
                }
            }
        }
        return Tensor.wrap(p, 3, h, w);
    }

    /**
     * A single-channel model's pixels [1, H, W]: each pixel's luma L = (19595 R + 38470 G + 7471 B + 2^15) >> 16,
     * PIL's convert("L") (ITU-R 601-2, Pillow's Convert.c rgb2l), then the byte as the network sees it
     * ({@code range.value}). A gray image's luma is its own value.
     */
    public static Tensor gray(BufferedImage img, ModelConfig.PixelRange range) {
        int w = img.getWidth(), h = img.getHeight();
        float[] p = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                int l = (19595 * ((rgb >> 16) & 0xff) + 38470 * ((rgb >> 8) & 0xff) + 7471 * (rgb & 0xff) + 0x8000) >> 16;
                p[y * w + x] = range.value(l);
            }
        }
        return Tensor.wrap(p, 1, h, w);
    }
}
