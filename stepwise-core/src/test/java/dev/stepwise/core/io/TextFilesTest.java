package dev.stepwise.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TextFilesTest {
    @Test
    void utf8TextDecodesAndLosesItsByteOrderMark() {
        assertEquals("seeds: 1-8 # ça", TextFiles.decode("\uFEFFseeds: 1-8 # ça".getBytes(StandardCharsets.UTF_8), "plan", "YAML"));
        assertEquals("", TextFiles.decode(new byte[0], "plan", "YAML"));
    }

    @Test
    void binaryIsToldApartWithWhereAndWhat() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TextFiles.decode(new byte[] {'a', 'b', (byte) 0x81, 'c'}, "plan 'p.yaml'", "YAML or JSON"));
        assertEquals("plan 'p.yaml' is not a text file (byte 0x81 at offset 2 is not UTF-8); it should be YAML or JSON,"
                + " as UTF-8 text", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TextFiles.decode(new byte[] {'a', 0, 'b'}, "f", "CSV"));
        assertTrue(e.getMessage().contains("NUL byte at offset 1"), e.getMessage());
        // A truncated multi-byte character at the very end.
        e = assertThrows(IllegalArgumentException.class, () -> TextFiles.decode(new byte[] {'a', (byte) 0xc3}, "f", "CSV"));
        assertTrue(e.getMessage().contains("not a text file"), e.getMessage());
    }
}
