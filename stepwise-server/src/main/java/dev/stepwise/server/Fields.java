package dev.stepwise.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed reads of a JSON request body's fields, each refusal a 400 naming the field and the type or range allowed.
 * With a set of known names, an unknown field is refused too (a typo such as "step" must not silently run 20 steps).
 */
final class Fields {
    private final ObjectNode body;
    private final String prefix;

    private Fields(ObjectNode body, String prefix) {
        this.body = body;
        this.prefix = prefix;
    }

    /** The body's fields; refuses a body that is not a JSON object, and fields outside {@code known} (when not null). */
    static Fields of(JsonNode body, Set<String> known) {
        return of(body, known, "");
    }

    static Fields of(JsonNode body, Set<String> known, String prefix) {
        if (body == null || !body.isObject()) {
            throw ApiException.bad(prefix.isEmpty() ? null : strip(prefix), (prefix.isEmpty() ? "the body" : strip(prefix))
                    + " must be a JSON object");
        }
        if (known != null) {
            for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!known.contains(name)) {
                    throw ApiException.bad(prefix + name, "unknown field '" + prefix + name + "'; allowed: "
                            + String.join(", ", known.stream().sorted().toList()));
                }
            }
        }
        return new Fields((ObjectNode) body, prefix);
    }

    private static String strip(String prefix) {
        return prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }

    boolean has(String name) {
        JsonNode n = body.get(name);
        return n != null && !n.isNull();
    }

    String string(String name, String def) {
        JsonNode n = body.get(name);
        if (n == null || n.isNull()) {
            return def;
        }
        if (!n.isTextual()) {
            throw ApiException.bad(prefix + name, prefix + name + " must be a string, not " + n);
        }
        return n.asText();
    }

    long integer(String name, long def, long min, long max) {
        JsonNode n = body.get(name);
        if (n == null || n.isNull()) {
            return def;
        }
        if (!n.isIntegralNumber() && !(n.isNumber() && n.asDouble() == Math.rint(n.asDouble()))) {
            throw ApiException.bad(prefix + name, prefix + name + " must be a whole number in " + min + ".." + max
                    + ", not " + n);
        }
        if (!n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
            throw ApiException.bad(prefix + name, prefix + name + " " + n + " is not allowed; " + prefix + name
                    + " must be in " + min + ".." + max);
        }
        return n.asLong();
    }

    double number(String name, double def) {
        JsonNode n = body.get(name);
        if (n == null || n.isNull()) {
            return def;
        }
        if (!n.isNumber()) {
            throw ApiException.bad(prefix + name, prefix + name + " must be a number, not " + n);
        }
        return n.asDouble();
    }

    boolean bool(String name, boolean def) {
        JsonNode n = body.get(name);
        if (n == null || n.isNull()) {
            return def;
        }
        if (!n.isBoolean()) {
            throw ApiException.bad(prefix + name, prefix + name + " must be true or false, not " + n);
        }
        return n.asBoolean();
    }

    /** An object of parameter values: numbers and strings as the registry's parameters take them. */
    Map<String, Object> parameters(String name) {
        JsonNode n = body.get(name);
        Map<String, Object> out = new LinkedHashMap<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isObject()) {
            throw ApiException.bad(prefix + name, prefix + name + " must be an object such as {\"eta\": 0.5}, not " + n);
        }
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            JsonNode v = e.getValue();
            if (v.isNumber()) {
                out.put(e.getKey(), v.isIntegralNumber() ? (Object) v.asLong() : (Object) v.asDouble());
            } else if (v.isTextual()) {
                out.put(e.getKey(), v.asText());
            } else {
                throw ApiException.bad(prefix + name, prefix + name + "." + e.getKey() + " must be a number or a string, not " + v);
            }
        }
        return out;
    }

    List<String> strings(String name) {
        JsonNode n = body.get(name);
        List<String> out = new ArrayList<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isArray()) {
            throw ApiException.bad(prefix + name, prefix + name + " must be a list of strings, not " + n);
        }
        for (JsonNode v : n) {
            if (!v.isTextual()) {
                throw ApiException.bad(prefix + name, prefix + name + " must be a list of strings; " + v + " is not one");
            }
            out.add(v.asText());
        }
        return out;
    }

    /**
     * The bytes of a base64 value; a data URL ("data:image/png;base64,....", as browsers send) is taken too.
     *
     * @throws ApiException 400 naming {@code field} for text that is not base64
     */
    static byte[] base64(String field, String value) {
        int comma = value.startsWith("data:") ? value.indexOf(',') : -1;
        try {
            return java.util.Base64.getDecoder().decode(value.substring(comma + 1).replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw ApiException.bad(field, field + " is not valid base64: " + e.getMessage());
        }
    }

    JsonNode node(String name) {
        return body.get(name);
    }
}
