package dev.stepwise.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds image-model folders: {@code --model NAME} is a folder under the models folder (the repository's
 * {@code models/}, which the launcher names with {@code -Dstepwise.home}; {@code -Dstepwise.models=DIR}
 * overrides), and anything that looks like a path ({@code ./m}, {@code /abs/m}, {@code a/b}) is a folder
 * of its own. A model folder holds {@code model.json} and its ONNX file.
 */
final class ModelFolders {
    private ModelFolders() {
    }

    /** The folder that model names are looked up in. */
    static Path home() {
        String models = System.getProperty("stepwise.models");
        if (models != null && !models.isBlank()) {
            return Path.of(models);
        }
        String home = System.getProperty("stepwise.home");
        return (home != null && !home.isBlank() ? Path.of(home) : Path.of("")).resolve("models").toAbsolutePath();
    }

    /** The folder for a --model value, or a usage error listing the available models. */
    static Path resolve(String value) {
        if (value.isBlank()) {
            throw new UsageException("--model is empty; " + available());
        }
        boolean looksLikePath = value.contains("/") || value.contains("\\") || value.startsWith(".");
        if (looksLikePath) {
            Path dir = Path.of(value);
            if (!Files.isDirectory(dir)) {
                throw new UsageException("--model '" + value + "': no such folder; give a model folder (holding"
                        + " model.json) or a model name; " + available());
            }
            if (!Files.isRegularFile(dir.resolve("model.json"))) {
                throw new UsageException("--model '" + value + "': the folder has no model.json; " + available());
            }
            return dir;
        }
        Path dir = home().resolve(value);
        if (!Files.isRegularFile(dir.resolve("model.json"))) {
            throw new UsageException("--model '" + value + "' is not a model; " + available());
        }
        return dir;
    }

    /** The models under {@link #home()} (folders with a model.json), by name. */
    static List<String> names() {
        Path home = home();
        if (!Files.isDirectory(home)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(home)) {
            return s.filter(d -> Files.isRegularFile(d.resolve("model.json")))
                    .map(d -> d.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String available() {
        List<String> names = names();
        return names.isEmpty() ? "no models found in " + home() + " (give a model folder's path)"
                : "available models: " + String.join(", ", names) + " (in " + home() + "), or a model folder's path";
    }
}
