package dev.stepwise.harness;

import java.util.ArrayList;
import java.util.List;

/**
 * RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled, records end in CRLF.
 * The reader takes what spreadsheet programs write back: CRLF or LF, a UTF-8 byte-order mark, quoted fields
 * spanning lines.
 */
final class Csv {
    private Csv() {
    }

    /** One record as read, with the line it starts on (1-based) for messages. */
    record Record(int line, List<String> fields) {
    }

    /** Appends one record. */
    static void row(StringBuilder out, List<String> fields) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append(quote(fields.get(i)));
        }
        out.append("\r\n");
    }

    static String quote(String field) {
        if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0 && field.indexOf('\r') < 0) {
            return field;
        }
        return '"' + field.replace("\"", "\"\"") + '"';
    }

    /**
     * Parses CSV text into records, skipping empty lines.
     *
     * @param source names the file in messages
     * @throws PlanException when a quoted field is never closed
     */
    static List<Record> parse(String text, String source) {
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<Record> records = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int line = 1;
        int start = 1;
        boolean quoted = false;
        boolean any = false;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    if (c == '\n') {
                        line++;
                    }
                    field.append(c);
                }
            } else if (c == '"' && field.isEmpty()) {
                quoted = true;
                any = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
                any = true;
            } else if (c == '\r' || c == '\n') {
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                if (any || !field.isEmpty()) {
                    fields.add(field.toString());
                    records.add(new Record(start, List.copyOf(fields)));
                }
                fields.clear();
                field.setLength(0);
                any = false;
                line++;
                start = line;
            } else {
                field.append(c);
                any = true;
            }
            i++;
        }
        if (quoted) {
            throw new PlanException(source + " line " + start + ": a quoted field is never closed (a missing '\"')");
        }
        if (any || !field.isEmpty()) {
            fields.add(field.toString());
            records.add(new Record(start, List.copyOf(fields)));
        }
        return records;
    }
}
