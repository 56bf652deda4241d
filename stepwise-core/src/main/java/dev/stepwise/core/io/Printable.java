package dev.stepwise.core.io;

import java.util.Locale;

/**
 * Makes text from users safe to print on one line of a terminal: error messages quote prompts, names and file
 * contents, and a raw ESC, BEL or newline in them would drive the terminal or break the one-line message.
 */
public final class Printable {
    private Printable() {
    }

    /**
     * Escapes every control character (C0, DEL, C1) and every invisible format character (such as bidirectional
     * overrides) as a Java-style escape: {@code \n}, {@code \t}, {@code \r}, {@code \x1b}, {@code \u202e}. A
     * backslash stays as it is, so plain paths and text read unchanged.
     */
    public static String escape(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int type = Character.getType(c);
            boolean bad = type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE && !validSurrogate(s, i);
            if (!bad) {
                if (b != null) {
                    b.append(c);
                }
                continue;
            }
            if (b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(c < 0x100 ? String.format(Locale.ROOT, "\\x%02x", (int) c) : String.format(Locale.ROOT, "\\u%04x", (int) c));
            }
        }
        return b == null ? s : b.toString();
    }

    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /**
     * Shortens text longer than {@code max} characters by cutting out its middle, keeping the start (what was
     * wrong) and the end (what is allowed) of a message, and saying how much was left out.
     */
    public static String abbreviate(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int keep = Math.max(2, max - 40) / 2;
        int head = keep, tail = keep;
        // Cut between code points, never inside a surrogate pair.
        if (Character.isHighSurrogate(s.charAt(head - 1))) {
            head--;
        }
        if (Character.isLowSurrogate(s.charAt(s.length() - tail))) {
            tail--;
        }
        int omitted = s.length() - head - tail;
        return s.substring(0, head) + " [... " + omitted + " characters ...] " + s.substring(s.length() - tail);
    }
}
