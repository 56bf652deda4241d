package dev.stepwise.onnx.sd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading a model folder's JSON files, with one-line errors naming the file. */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    /** The file's JSON object; {@code what} says what the file should hold when it is missing. */
    static JsonNode read(Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": missing (expected " + what + ")");
        }
        return readPresent(file);
    }

    /** The file's JSON object, or null when there is no such file. */
    static JsonNode readIfPresent(Path file) {
        return Files.isRegularFile(file) ? readPresent(file) : null;
    }

    private static JsonNode readPresent(Path file) {
        JsonNode root;
        try {
            root = MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new IllegalArgumentException(file + ": not valid JSON (" + m + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a JSON object");
        }
        return root;
    }
}
