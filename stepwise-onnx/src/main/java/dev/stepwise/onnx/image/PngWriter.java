package dev.stepwise.onnx.image;

import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * Writes grayscale samples in [-1, 1] as 8-bit PNG files, upscaled by an integer factor, with the
 * generation parameters in a {@code parameters} text chunk in A1111's infotext layout. Files are
 * written atomically: a temporary file in the same folder renamed into place.
 */
public final class PngWriter {
    /** The PNG text keyword A1111 and most image browsers read generation parameters from. */
    public static final String KEYWORD = "parameters";
    private static final String PNG_FORMAT = "javax_imageio_png_1.0";

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private PngWriter() {
    }

    /** A value in [-1, 1] as a gray level 0..255: round(127.5 (v + 1)), clamped (NaN becomes 0). */
    public static int gray(double v) {
        double g = Math.rint(127.5 * (v + 1));
        return g >= 255 ? 255 : g > 0 ? (int) g : 0;
    }

    /**
     * One image as gray levels 0..255 (row-major, width w * scale): the samples of a [H, W] (or
     * [1, H, W]) image in [-1, 1], upscaled with {@code filter}.
     */
    public static int[] levels(float[] image, int w, int h, int scale, Filter filter) {
        double[] unit = new double[w * h];
        for (int i = 0; i < unit.length; i++) {
            unit[i] = image[i];
        }
        double[] up = filter.upscale(unit, w, h, scale);
        int[] out = new int[up.length];
        for (int i = 0; i < up.length; i++) {
            out[i] = gray(up[i]);
        }
        return out;
    }

    /** Batch row {@code index} of a [B, 1, H, W] (or [B, H, W]) tensor as an upscaled gray image. */
    public static BufferedImage image(Tensor batch, int index, int scale, Filter filter) {
        int h = batch.dim(batch.rank() - 2), w = batch.dim(batch.rank() - 1);
        if (batch.rowSize() != w * h) {
            throw new IllegalArgumentException("expected single-channel images [B, 1, H, W], got " + batch);
        }
        float[] row = new float[w * h];
        System.arraycopy(batch.data(), index * w * h, row, 0, w * h);
        return image(levels(row, w, h, scale, filter), w * scale, h * scale);
    }

    static BufferedImage image(int[] levels, int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster r = img.getRaster();
        r.setPixels(0, 0, w, h, levels);
        return img;
    }

    /** Writes batch row {@code index} to {@code path} with {@code parameters} (null for no text chunk). */
    public static void write(Tensor batch, int index, int scale, Filter filter, String parameters, Path path)
            throws IOException {
        write(image(batch, index, scale, filter), parameters, path);
    }

    /** Writes an image atomically with an optional {@code parameters} text chunk. */
    public static void write(BufferedImage img, String parameters, Path path) throws IOException {
        AtomicFiles.write(path, encode(img, parameters));
    }

    /**
     * PNG bytes of {@code img} with the text as a {@code tEXt} chunk when it is Latin-1 and as an
     * uncompressed UTF-8 {@code iTXt} chunk otherwise (as Pillow's {@code PngInfo.add_text} does).
     */
    public static byte[] encode(BufferedImage img, String parameters) throws IOException {
        return encodeWithTexts(img, parameters == null ? Map.of() : Map.of(KEYWORD, parameters));
    }

    /**
     * PNG bytes with one text chunk per entry, in the map's order (for example A1111's {@code parameters} and
     * ComfyUI's {@code prompt}); each tEXt when Latin-1, else uncompressed UTF-8 iTXt.
     */
    public static byte[] encodeWithTexts(BufferedImage img, Map<String, String> texts) throws IOException {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
        if (!writers.hasNext()) {
            throw new IOException("this Java runtime has no PNG writer");
        }
        ImageWriter writer = writers.next();
        try {
            ImageWriteParam param = writer.getDefaultWriteParam();
            IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img), param);
            for (Map.Entry<String, String> t : texts.entrySet()) {
                meta.mergeTree(PNG_FORMAT, textTree(t.getKey(), t.getValue()));
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
                writer.setOutput(out);
                writer.write(null, new IIOImage(img, null, meta), param);
            }
            return bytes.toByteArray();
        } finally {
            writer.dispose();
        }
    }

    private static IIOMetadataNode textTree(String keyword, String text) {
        IIOMetadataNode root = new IIOMetadataNode(PNG_FORMAT);
        if (StandardCharsets.ISO_8859_1.newEncoder().canEncode(text)) {
            IIOMetadataNode chunk = new IIOMetadataNode("tEXt");
            IIOMetadataNode entry = new IIOMetadataNode("tEXtEntry");
            entry.setAttribute("keyword", keyword);
            entry.setAttribute("value", text);
            chunk.appendChild(entry);
            root.appendChild(chunk);
        } else {
            IIOMetadataNode chunk = new IIOMetadataNode("iTXt");
            IIOMetadataNode entry = new IIOMetadataNode("iTXtEntry");
            entry.setAttribute("keyword", keyword);
            entry.setAttribute("compressionFlag", "FALSE");
            entry.setAttribute("compressionMethod", "0");
            entry.setAttribute("languageTag", "");
            entry.setAttribute("translatedKeyword", "");
            entry.setAttribute("text", text);
            chunk.appendChild(entry);
            root.appendChild(chunk);
        }
        return root;
    }
}
