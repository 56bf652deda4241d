package dev.stepwise.onnx.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import org.w3c.dom.NodeList;

/**
 * The text chunks of a PNG image (A1111's "PNG Info"): the {@code parameters} infotext that {@link PngWriter}
 * writes, and any other keyword, from tEXt, zTXt and iTXt chunks alike.
 */
public final class PngInfo {
    private static final String PNG_FORMAT = "javax_imageio_png_1.0";

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private PngInfo() {
    }

    /**
     * The text chunks by keyword, in file order (a repeated keyword keeps its first value).
     *
     * @throws IllegalArgumentException when the bytes are not a readable PNG image
     */
    public static Map<String, String> text(byte[] png) {
        if (png.length < 8 || (png[0] & 0xff) != 0x89 || png[1] != 'P' || png[2] != 'N' || png[3] != 'G') {
            throw new IllegalArgumentException("not a PNG image (it does not start with the PNG signature)");
        }
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("png");
        if (!readers.hasNext()) {
            throw new IllegalStateException("this Java runtime has no PNG reader");
        }
        ImageReader reader = readers.next();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(png))) {
            reader.setInput(in);
            IIOMetadataNode tree = (IIOMetadataNode) reader.getImageMetadata(0).getAsTree(PNG_FORMAT);
            Map<String, String> out = new LinkedHashMap<>();
            add(out, tree.getElementsByTagName("tEXtEntry"), "value");
            add(out, tree.getElementsByTagName("zTXtEntry"), "text");
            add(out, tree.getElementsByTagName("iTXtEntry"), "text");
            return out;
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a readable PNG image: " + e.getMessage());
        } finally {
            reader.dispose();
        }
    }

    private static void add(Map<String, String> out, NodeList entries, String valueAttribute) {
        for (int i = 0; i < entries.getLength(); i++) {
            IIOMetadataNode e = (IIOMetadataNode) entries.item(i);
            out.putIfAbsent(e.getAttribute("keyword"), e.getAttribute(valueAttribute));
        }
    }
}
