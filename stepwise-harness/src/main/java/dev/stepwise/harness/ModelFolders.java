package dev.stepwise.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds image-model folders: a model NAME is a folder under the models folder (the repository's
 * {@code models/}, which the launcher names with {@code -Dstepwise.home}; {@code -Dstepwise.models=DIR}
 * overrides), and anything that looks like a path ({@code ./m}, {@code /abs/m}, {@code a/b}) is a folder
 * of its own. A model folder holds {@code model.json} and its ONNX file.
 */
public final class ModelFolders {
    private ModelFolders() {
    }

    /** The folder that model names are looked up in. */
    public static Path home() {
        String models = System.getProperty("stepwise.models");
        if (models != null && !models.isBlank()) {
            return Path.of(models);
        }
        String home = System.getProperty("stepwise.home");
        return (home != null && !home.isBlank() ? Path.of(home) : Path.of("")).resolve("models").toAbsolutePath();
    }

    /** Whether a model value names a folder by its path rather than a model under the models folder. */
    public static boolean looksLikePath(String value) {
        return value.contains("/") || value.contains("\\") || value.startsWith(".");
    }

    /** The folder for a --model value under {@link #home()}, or a usage error listing the available models. */
    public static Path resolve(String value) {
        return resolve(value, home(), "--model");
    }

    /**
     * The folder for a model value.
     *
     * @param home  the folder model names are looked up in
     * @param where names the value in messages ("--model", "plan.yaml: model")
     * @throws PlanException naming the value and listing the models under {@code home}
     */
    public static Path resolve(String value, Path home, String where) {
        return resolve(value, home, where, false);
    }

    /**
     * The folder for a --model value that may also be a diffusers/optimum ONNX export of a Stable Diffusion
     * checkpoint (a folder holding {@code model_index.json}), by path or under the models folder.
     */
    public static Path resolveWithDiffusers(String value) {
        return resolve(value, home(), "--model", true);
    }

    /**
     * As {@link #resolve(String, Path, String)}, also accepting a diffusers/optimum ONNX export of a Stable Diffusion
     * checkpoint (a folder holding {@code model_index.json}).
     */
    public static Path resolveWithDiffusers(String value, Path home, String where) {
        return resolve(value, home, where, true);
    }

    /** Whether {@code dir} is a diffusers/optimum export (it holds {@code model_index.json}). */
    public static boolean isDiffusers(Path dir) {
        return Files.isRegularFile(dir.resolve(DIFFUSERS_INDEX));
    }

    /** The file that marks a diffusers model folder. */
    public static final String DIFFUSERS_INDEX = "model_index.json";

    private static Path resolve(String value, Path home, String where, boolean diffusers) {
        if (value.isBlank()) {
            throw new PlanException(where + " is empty; " + available(home));
        }
        if (looksLikePath(value)) {
            Path dir = Path.of(value);
            if (!Files.isDirectory(dir)) {
                throw new PlanException(where + " '" + value + "': no such folder; give a model folder (holding"
                        + " model.json) or a model name; " + available(home));
            }
            if (!Files.isRegularFile(dir.resolve("model.json")) && !(diffusers && isDiffusers(dir))) {
                throw new PlanException(where + " '" + value + "': the folder has no model.json"
                        + (diffusers ? " (nor model_index.json of a diffusers ONNX export)" : "") + "; " + available(home));
            }
            return dir;
        }
        Path dir = home.resolve(value);
        if (!Files.isRegularFile(dir.resolve("model.json")) && !(diffusers && isDiffusers(dir))) {
            throw new PlanException(where + " '" + value + "' is not a model; " + available(home));
        }
        return dir;
    }

    /** The models under {@link #home()} (folders with a model.json), by name. */
    public static List<String> names() {
        return names(home());
    }

    /** The models under {@code home} (folders with a model.json), by name. */
    public static List<String> names(Path home) {
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

    /**
     * The Stable Diffusion folders under {@code home} (diffusers/optimum exports: a {@code model_index.json} and no
     * {@code model.json}), by name.
     */
    public static List<String> diffusersNames(Path home) {
        if (!Files.isDirectory(home)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(home)) {
            return s.filter(d -> isDiffusers(d) && !Files.isRegularFile(d.resolve("model.json")))
                    .map(d -> d.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Every model under {@code home}: the class-conditional ones, then the Stable Diffusion folders. */
    public static List<String> allNames(Path home) {
        List<String> all = new java.util.ArrayList<>(names(home));
        all.addAll(diffusersNames(home));
        return List.copyOf(all);
    }

    private static String available(Path home) {
        List<String> names = names(home);
        return names.isEmpty() ? "no models found in " + home + " (give a model folder's path)"
                : "available models: " + String.join(", ", names) + " (in " + home + "), or a model folder's path";
    }
}
