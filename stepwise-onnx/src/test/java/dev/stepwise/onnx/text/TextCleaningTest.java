package dev.stepwise.onnx.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The cleaning rules of ftfy (chardata.py) and BERT's BasicTokenizer, case by case. */
class TextCleaningTest {

    @Test
    void ftfy() {
        TextCleaning c = TextCleaning.FTFY;
        assertEquals("a photo of x", c.clean("\tA  Photo\r\nOF X  "));
        assertEquals("fish flow", c.clean("\uFB01sh \uFB02ow"));
        assertEquals("\"it's\"", c.clean("\u201CIt\u2019s\u201D"));
        assertEquals("abc 12", c.clean("\uFF21\uFF22\uFF23\u3000\uFF11\uFF12"));
        assertEquals("ab", c.clean("a\u0000\u0007\uFEFFb"));
        assertEquals("caf\u00e9", c.clean("cafe\u0301"));
        // Zero-width space is no control character to ftfy, and no white space to Python.
        assertEquals("a\u200bb", c.clean("a\u200bb"));
    }

    @Test
    void basicTokenizer() {
        TextCleaning c = TextCleaning.BASIC;
        assertEquals("a photo of x", c.clean("\tA  Photo\r\nOF X  "));
        // Category C (format, control) removed: zero-width space, soft hyphen, BOM, NUL, U+FFFD.
        assertEquals("ab cd", c.clean("a\u200bb c\u00ad\uFEFF\u0000\uFFFDd"));
        // Non-breaking space is Zs: white space.
        assertEquals("a b", c.clean("a\u00a0b"));
        assertEquals("\u65e5 \u672c", c.clean("\u65e5\u672c"));
        assertEquals("caf\u00e9", c.clean("CAFE\u0301".toLowerCase(java.util.Locale.ROOT)));
        // No ftfy: ligatures, curly quotes and full-width forms stay (lower-cased).
        assertEquals("\uFB01sh \u2019 \uFF41", c.clean("\uFB01sh \u2019 \uFF21"));
    }
}
