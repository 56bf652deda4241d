package dev.stepwise.onnx.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

class PngInfoTest {

    /** A PNG chunk made by hand (length, type, data, CRC of type and data), as the PNG specification lays it out. */
    private static byte[] chunk(String type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        b.putInt(data.length).put(t).put(data).putInt((int) crc.getValue());
        return b.array();
    }

    /** {@code png} with {@code extra} chunks inserted after the IHDR chunk (8 bytes signature + 25 bytes IHDR). */
    private static byte[] withChunks(byte[] png, byte[]... extra) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(png, 0, 33);
        for (byte[] c : extra) {
            out.write(c, 0, c.length);
        }
        out.write(png, 33, png.length - 33);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    @Test
    void readsTextAndInternationalTextChunksWrittenByHand() throws IOException {
        byte[] plain = PngWriter.encode(PngWriter.image(new int[] {0, 255}, 2, 1), null);
        byte[] text = chunk("tEXt", concat("parameters".getBytes(StandardCharsets.ISO_8859_1), new byte[] {0},
                "bag\nSteps: 20, Seed: 42".getBytes(StandardCharsets.ISO_8859_1)));
        byte[] intl = chunk("iTXt", concat("Comment".getBytes(StandardCharsets.ISO_8859_1), new byte[] {0, 0, 0, 0, 0},
                "сумка ☂".getBytes(StandardCharsets.UTF_8)));
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("parameters", "bag\nSteps: 20, Seed: 42");
        expected.put("Comment", "сумка ☂");
        assertEquals(expected, PngInfo.text(withChunks(plain, text, intl)));
        assertEquals(Map.of(), PngInfo.text(plain));
    }

    @Test
    void readsBackWhatThePngWriterWrites() throws IOException {
        String params = "сумка\nSteps: 1";
        assertEquals(Map.of("parameters", params), PngInfo.text(PngWriter.encode(PngWriter.image(new int[] {0, 255}, 2, 1), params)));
    }

    @Test
    void refusesBytesThatAreNotPng() {
        assertEquals("not a PNG image (it does not start with the PNG signature)",
                assertThrows(IllegalArgumentException.class, () -> PngInfo.text("GIF89a....".getBytes(StandardCharsets.US_ASCII)))
                        .getMessage());
        byte[] truncated = new byte[20];
        truncated[0] = (byte) 0x89;
        truncated[1] = 'P';
        truncated[2] = 'N';
        truncated[3] = 'G';
        assertThrows(IllegalArgumentException.class, () -> PngInfo.text(truncated));
    }
}
