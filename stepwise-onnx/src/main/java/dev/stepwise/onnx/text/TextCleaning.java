package dev.stepwise.onnx.text;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How CLIP's tokenizer cleans text before BPE. Hugging Face's {@code CLIPTokenizer}, which both UIs call, has two
 * paths (transformers {@code tokenization_clip.py} {@code _tokenize}): with the {@code ftfy} package installed,
 * {@code whitespace_clean(ftfy.fix_text(text)).lower()}, as OpenAI's {@code simple_tokenizer.py} does; without it,
 * BERT's {@code BasicTokenizer(strip_accents=False, do_split_on_punc=False)}. A1111 has ftfy (OpenAI's CLIP package,
 * which it installs, requires it); ComfyUI's requirements do not, so a plain ComfyUI install takes the second path.
 */
public enum TextCleaning {
    /**
     * ftfy's {@code fix_text}, in part, then whitespace collapsed and lower case. Done: control characters removed
     * (ftfy's {@code CONTROL_CHARS}), Latin ligatures split, half- and full-width forms to normal width, curly quotes
     * straightened, NFC. Not done: ftfy's mojibake repair ({@code fix_encoding}, C1 controls, {@code restore_byte_a0}),
     * terminal escapes, and the HTML-entity unescaping of OpenAI's tokenizer: text that needs them tokenizes as typed.
     */
    FTFY,
    /**
     * BERT's {@code BasicTokenizer} as CLIP calls it: NUL, U+FFFD and other control/format characters (Unicode
     * category C, except tab and line breaks) removed, CJK ideographs set apart as words, NFC, split on whitespace,
     * lower case, joined with single spaces.
     */
    BASIC;

    // Python's \s in a str pattern (whitespace_clean): Unicode white space.
    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

    /** The text as the tokenizer's BPE sees it. */
    public String clean(String text) {
        return this == FTFY ? ftfy(text) : basic(text);
    }

    private static String ftfy(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (isFtfyControl(cp)) {
                return;
            }
            String ligature = ligature(cp);
            if (ligature != null) {
                b.append(ligature);
            } else if (cp == 0x3000) {
                b.append(' ');
            } else if (cp >= 0xFF01 && cp < 0xFFF0) {
                // ftfy's WIDTH_MAP: each half/full-width form to its NFKC form.
                b.append(Normalizer.normalize(Character.toString(cp), Normalizer.Form.NFKC));
            } else if (cp >= 0x2018 && cp <= 0x201B) {
                b.append('\'');
            } else if (cp >= 0x201C && cp <= 0x201F) {
                b.append('"');
            } else {
                b.appendCodePoint(cp);
            }
        });
        String nfc = Normalizer.normalize(b, Normalizer.Form.NFC);
        return WHITESPACE.matcher(nfc).replaceAll(" ").strip().toLowerCase(Locale.ROOT);
    }

    /** ftfy chardata.py {@code _build_control_char_mapping}: the characters remove_control_chars drops. */
    private static boolean isFtfyControl(int cp) {
        return (cp >= 0x00 && cp <= 0x08) || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F) || cp == 0x7F
                || (cp >= 0x206A && cp <= 0x206F) || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFC)
                || (cp >= 0x1D173 && cp <= 0x1D17A) || (cp >= 0xE0000 && cp <= 0xE007F);
    }

    /** ftfy chardata.py {@code LIGATURES}. */
    private static String ligature(int cp) {
        return switch (cp) {
            case 0x0132 -> "IJ";
            case 0x0133 -> "ij";
            case 0xFB00 -> "ff";
            case 0xFB01 -> "fi";
            case 0xFB02 -> "fl";
            case 0xFB03 -> "ffi";
            case 0xFB04 -> "ffl";
            case 0xFB05 -> "\u017Ft";
            case 0xFB06 -> "st";
            default -> null;
        };
    }

    private static String basic(String text) {
        StringBuilder b = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            // BasicTokenizer._clean_text, then _tokenize_chinese_chars.
            if (cp == 0 || cp == 0xFFFD || isBertControl(cp)) {
                return;
            }
            if (isBertWhitespace(cp)) {
                b.append(' ');
            } else if (isCjk(cp)) {
                b.append(' ').appendCodePoint(cp).append(' ');
            } else {
                b.appendCodePoint(cp);
            }
        });
        String nfc = Normalizer.normalize(b, Normalizer.Form.NFC);
        StringBuilder out = new StringBuilder(nfc.length());
        // whitespace_tokenize is str.split(): Python's whitespace, which after _clean_text leaves the space and the
        // line/paragraph separators.
        for (String word : WHITESPACE.split(nfc.strip())) {
            if (!word.isEmpty()) {
                if (!out.isEmpty()) {
                    out.append(' ');
                }
                out.append(word.toLowerCase(Locale.ROOT));
            }
        }
        return out.toString();
    }

    /** BERT's _is_control: Unicode category C*, but tab, newline and carriage return count as white space. */
    private static boolean isBertControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int type = Character.getType(cp);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE
                || type == Character.SURROGATE || type == Character.UNASSIGNED;
    }

    /** BERT's _is_whitespace: space, tab, newline, carriage return and category Zs. */
    private static boolean isBertWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    /** BERT's _is_chinese_char: the CJK Unified Ideographs blocks and their extensions and compatibility forms. */
    private static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
