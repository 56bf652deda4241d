package dev.stepwise.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PrintableTest {
    @Test
    void plainTextIsUnchanged() {
        String s = "unknown class 'bag' in C:\\models\\x — ça va 👜";
        assertSame(s, Printable.escape(s));
    }

    @Test
    void controlAndFormatCharactersAreEscaped() {
        assertEquals("a\\x1b[31mb\\x07c\\nd\\re\\tf\\x7fg\\x9bh\\u202ei\\u2028j",
                Printable.escape("a\u001b[31mb\u0007c\nd\re\tf\u007fg\u009bh\u202ei\u2028j"));
        assertEquals("\\x00", Printable.escape("\0"));
        assertEquals("\\ud800x", Printable.escape("\ud800x"));   // a lone surrogate cannot be printed
    }

    @Test
    void noControlCharacterSurvives() {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x3000; c++) {
            all.append(c);
        }
        String out = Printable.escape(all.toString());
        out.chars().forEach(c -> assertTrue(Character.getType(c) != Character.CONTROL && Character.getType(c) != Character.FORMAT,
                () -> "U+" + Integer.toHexString(c) + " survived"));
    }

    @Test
    void abbreviateKeepsBothEndsAndCountsTheRest() {
        String s = "start " + "x".repeat(10_000) + " end";
        String a = Printable.abbreviate(s, 200);
        assertTrue(a.length() <= 200, a);
        assertTrue(a.startsWith("start xxx") && a.endsWith("xxx end"), a);
        int kept = a.length() - a.replaceAll(" \\[\\.\\.\\. \\d+ characters \\.\\.\\.\\] ", "").length();
        int omitted = Integer.parseInt(a.replaceAll(".*\\[\\.\\.\\. (\\d+) characters.*", "$1"));
        assertEquals(s.length(), a.length() - kept + omitted);
        assertSame(s, Printable.abbreviate(s, s.length()));
    }
}
