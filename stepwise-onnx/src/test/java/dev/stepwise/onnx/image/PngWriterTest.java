package dev.stepwise.onnx.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngWriterTest {
    @TempDir
    Path dir;

    /** Text chunks of a PNG file by keyword, read straight from the bytes (tEXt: Latin-1; iTXt: UTF-8). */
    static Map<String, String> textChunks(byte[] png) {
        Map<String, String> out = new LinkedHashMap<>();
        ByteBuffer b = ByteBuffer.wrap(png);
        b.position(8);
        while (b.remaining() >= 12) {
            int len = b.getInt();
            byte[] type = new byte[4];
            b.get(type);
            byte[] data = new byte[len];
            b.get(data);
            int crc = b.getInt();
            CRC32 c = new CRC32();
            c.update(type);
            c.update(data);
            assertEquals((int) c.getValue(), crc, "CRC of chunk " + new String(type, StandardCharsets.US_ASCII));
            String t = new String(type, StandardCharsets.US_ASCII);
            int zero = 0;
            while (zero < len && data[zero] != 0) {
                zero++;
            }
            String key = new String(data, 0, zero, StandardCharsets.ISO_8859_1);
            if (t.equals("tEXt")) {
                out.put(key, new String(data, zero + 1, len - zero - 1, StandardCharsets.ISO_8859_1));
            } else if (t.equals("iTXt")) {
                // keyword 0 flag method language 0 translated 0 text
                int p = zero + 3;
                while (data[p] != 0) {
                    p++;
                }
                p++;
                while (data[p] != 0) {
                    p++;
                }
                p++;
                out.put(key, new String(data, p, len - p, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void grayLevelsMapMinusOneToZeroAndOneTo255() {
        assertEquals(0, PngWriter.gray(-1));
        assertEquals(255, PngWriter.gray(1));
        assertEquals(128, PngWriter.gray(0)); // 127.5 rounds to even
        assertEquals(64, PngWriter.gray(-0.5)); // 63.75
        assertEquals(191, PngWriter.gray(0.5)); // 191.25
        assertEquals(0, PngWriter.gray(-3));
        assertEquals(255, PngWriter.gray(2));
        assertEquals(0, PngWriter.gray(Double.NaN));
    }

    @Test
    void writesUpscaledPixelsAndTheParametersChunk() throws IOException {
        Tensor t = Tensor.wrap(new float[] {-1, -0.5f, 0, 0.5f, 1, 2}, 1, 1, 2, 3);
        String params = new Infotext("bag", "", 20, "dpmpp_2m", "karras", 3, 42, 3, 2, "fashion-eps").format();
        Path file = dir.resolve("out.png");
        PngWriter.write(t, 0, 2, Filter.NEAREST, params, file);

        BufferedImage img = ImageIO.read(file.toFile());
        assertEquals(6, img.getWidth());
        assertEquals(4, img.getHeight());
        int[] levels = {0, 64, 128, 191, 255, 255};
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 6; x++) {
                assertEquals(levels[(y / 2) * 3 + x / 2], img.getRaster().getSample(x, y, 0), "pixel " + x + "," + y);
            }
        }
        byte[] bytes = Files.readAllBytes(file);
        assertEquals(Map.of("parameters", "bag\nSteps: 20, Sampler: dpmpp_2m, Schedule type: karras, CFG scale: 3,"
                + " Seed: 42, Size: 3x2, Model: fashion-eps"), textChunks(bytes));
        // ImageIO's own metadata reader sees the same text.
        var reader = ImageIO.getImageReadersByFormatName("png").next();
        reader.setInput(ImageIO.createImageInputStream(new ByteArrayInputStream(bytes)));
        var tree = (javax.imageio.metadata.IIOMetadataNode) reader.getImageMetadata(0).getAsTree("javax_imageio_png_1.0");
        var entry = (javax.imageio.metadata.IIOMetadataNode) tree.getElementsByTagName("tEXtEntry").item(0);
        assertEquals("parameters", entry.getAttribute("keyword"));
        assertEquals(params, entry.getAttribute("value"));
        reader.dispose();
    }

    @Test
    void nonLatinTextGoesToAnUtf8Chunk() throws IOException {
        String params = "сумка ☂\nSteps: 1";
        byte[] png = PngWriter.encode(PngWriter.image(new int[] {0, 255}, 2, 1), params);
        assertEquals(Map.of("parameters", params), textChunks(png));
    }

    @Test
    void writesAtomicallyAndReplacesAnOldFile() throws IOException {
        Path file = dir.resolve("x.png");
        Files.writeString(file, "old");
        Tensor t = Tensor.wrap(new float[] {1, -1, -1, 1}, 1, 1, 2, 2);
        PngWriter.write(t, 0, 1, Filter.BILINEAR, null, file);
        BufferedImage img = ImageIO.read(file.toFile());
        assertArrayEquals(new int[] {255, 0, 0, 255}, img.getRaster().getPixels(0, 0, 2, 2, (int[]) null));
        assertTrue(textChunks(Files.readAllBytes(file)).isEmpty());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file is left behind");
        }
    }

    @Test
    void batchRowIsSelected() {
        Tensor t = Tensor.wrap(new float[] {-1, -1, 1, 1}, 2, 1, 1, 2);
        BufferedImage img = PngWriter.image(t, 1, 1, Filter.NEAREST);
        assertArrayEquals(new int[] {255, 255}, img.getRaster().getPixels(0, 0, 2, 1, (int[]) null));
    }
}
