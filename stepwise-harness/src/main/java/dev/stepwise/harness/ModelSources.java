package dev.stepwise.harness;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.sd.SdModel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns a plan's model value into the model it runs on: "gmm:builtin" (the built-in ring mixture),
 * "gmm:FILE.json" (a mixture spec) or an image model (a name under the models folder, or a folder path): a
 * class-conditional model ({@code model.json}) or a Stable Diffusion folder ({@code model_index.json}).
 */
public final class ModelSources {
    /** The prefix of an analytic mixture model value. */
    public static final String MIXTURE_PREFIX = "gmm:";
    /** What follows {@link #MIXTURE_PREFIX} for the built-in mixture. */
    public static final String BUILT_IN_SPEC = "builtin";
    /** The built-in mixture's model value. */
    public static final String BUILT_IN_MIXTURE = MIXTURE_PREFIX + BUILT_IN_SPEC;
    /** The classifier's folder under the models folder. */
    public static final String CLASSIFIER = "classifier";

    private ModelSources() {
    }

    /**
     * Opens the plan's model: one network session (and the classifier under {@code modelsHome/classifier}
     * when it exists) for an image model, the exact mixture for "gmm:...".
     *
     * @param modelsHome the folder model names are looked up in
     * @throws PlanException when the model value names nothing usable
     */
    public static ModelSource open(Plan plan, Path modelsHome, OnnxOptions options) {
        if (isMixture(plan.model())) {
            return mixture(plan.model(), plan.source() + ": model");
        }
        Path dir = folder(plan, modelsHome);
        if (isStableDiffusion(dir)) {
            return SdSource.open(dir, plan.width(), plan.height(), options, plan.source() + ": model '" + plan.model() + "'");
        }
        Path classifier = modelsHome.resolve(CLASSIFIER);
        return ImageSource.open(dir, Files.isDirectory(classifier) ? classifier : null, options);
    }

    /** Whether the model value names an analytic mixture rather than an image model. */
    public static boolean isMixture(String model) {
        return model.startsWith(MIXTURE_PREFIX);
    }

    /**
     * The mixture of a "gmm:builtin" or "gmm:FILE.json" value (cheap; no ONNX). Its name is the spec file's
     * name without ".json" ("gmm-ring" for the built-in one); its key adds a digest of the spec's bytes, so
     * moving the file keeps the finished cells and editing it does not.
     *
     * @param where names the value in messages ("plan.yaml: model")
     */
    public static MixtureSource mixture(String model, String where) {
        if (!isMixture(model)) {
            throw new PlanException(where + " '" + model + "' is not a mixture; allowed: " + BUILT_IN_MIXTURE + " or gmm:FILE.json");
        }
        String spec = model.substring(MIXTURE_PREFIX.length());
        byte[] bytes;
        String name;
        GaussianMixture mixture;
        try {
            if (spec.equals(BUILT_IN_SPEC)) {
                bytes = MixtureSpec.builtInBytes();
                name = stem(MixtureSpec.BUILT_IN);
                mixture = MixtureSpec.parse(bytes, "built-in " + MixtureSpec.BUILT_IN);
            } else if (spec.isBlank()) {
                throw new PlanException("'" + model + "' names no spec; allowed: " + BUILT_IN_MIXTURE + " or gmm:FILE.json");
            } else {
                Path file = Path.of(spec);
                bytes = MixtureSpec.bytes(file);
                name = stem(file.getFileName() == null ? spec : file.getFileName().toString());
                mixture = MixtureSpec.parse(bytes, file.toString());
            }
        } catch (PlanException e) {
            throw new PlanException(where + ": " + e.getMessage());
        }
        return new MixtureSource(name, mixture, name + "@" + Cell.sha256(bytes).substring(0, 16));
    }

    /** The image-model folder of a plan whose model is not a mixture. */
    public static Path folder(Plan plan, Path modelsHome) {
        return ModelFolders.resolveWithDiffusers(plan.model(), modelsHome, plan.source() + ": model");
    }

    /** Whether a plan's model folder is a Stable Diffusion export rather than a class-conditional model. */
    public static boolean isStableDiffusion(Path dir) {
        return !Files.isRegularFile(dir.resolve("model.json")) && ModelFolders.isDiffusers(dir);
    }

    /** The image model's config ({@code model.json}, no ONNX session), with problems as one-line PlanExceptions. */
    public static ModelConfig config(Plan plan, Path modelsHome) {
        Path dir = folder(plan, modelsHome);
        try {
            return ImageSource.config(dir);
        } catch (IllegalArgumentException e) {
            throw new PlanException(plan.source() + ": model '" + plan.model() + "': " + e.getMessage());
        }
    }

    /**
     * The model's noise schedule without opening it (no ONNX session): what {@link Cells#expand} needs to
     * turn NFE budgets into step counts.
     */
    public static ModelSampling sampling(Plan plan, Path modelsHome) {
        if (isMixture(plan.model())) {
            return mixture(plan.model(), plan.source() + ": model").mixture().sampling();
        }
        Path dir = folder(plan, modelsHome);
        if (isStableDiffusion(dir)) {
            try {
                return SdModel.sampling(dir);
            } catch (IllegalArgumentException e) {
                throw new PlanException(plan.source() + ": model '" + plan.model() + "': " + e.getMessage());
            }
        }
        return config(plan, modelsHome).sampling();
    }

    private static String stem(String file) {
        return file.endsWith(".json") && file.length() > 5 ? file.substring(0, file.length() - 5) : file;
    }
}
