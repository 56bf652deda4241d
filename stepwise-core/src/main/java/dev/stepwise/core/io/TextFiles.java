package dev.stepwise.core.io;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Decodes the bytes of a file the user gave as text (a plan, a sigma list, a scoring sheet), so that a binary file
 * given by mistake is told apart from a text file with an error in it: one line saying what the file should be,
 * not a decoder's "Input length = 1".
 */
public final class TextFiles {
    private TextFiles() {
    }

    /**
     * The bytes as UTF-8 text (a leading byte-order mark dropped).
     *
     * @param what     names the file in the message, e.g. {@code "plan 'p.yaml'"}
     * @param expected what it should be, e.g. {@code "a YAML or JSON plan"}
     * @throws IllegalArgumentException when the bytes hold a NUL or are not UTF-8: a binary file
     */
    public static String decode(byte[] bytes, String what, String expected) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw notText(what, "it holds a NUL byte at offset " + i, expected);
            }
        }
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);   // UTF-8 never decodes to more chars than bytes
        CoderResult r = d.decode(in, out, true);
        if (!r.isError()) {
            r = d.flush(out);
        }
        if (r.isError()) {
            // The input stops at the first byte that cannot start or continue a character.
            int at = in.position();
            throw notText(what, at < bytes.length ? String.format(Locale.ROOT, "byte 0x%02x at offset %d is not UTF-8",
                    bytes[at] & 0xff, at) : "it ends inside a UTF-8 character", expected);
        }
        String text = out.flip().toString();
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    private static IllegalArgumentException notText(String what, String why, String expected) {
        return new IllegalArgumentException(what + " is not a text file (" + why + "); it should be " + expected
                + ", as UTF-8 text");
    }
}
