package dev.stepwise.harness;

import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.NetworkDenoiser;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.OnnxNetwork;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.Prompts;
import dev.stepwise.onnx.metrics.Classifier;
import dev.stepwise.onnx.metrics.FeatureStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A class-conditional ONNX image model (the built-in Fashion-MNIST model, or a folder of the same form)
 * with, when present, the classifier that scores its images: prompt adherence and the classifier-feature
 * Fréchet distance against the classifier folder's reference statistics. One network session and one
 * classifier session serve every worker (ONNX Runtime sessions may be run from several threads).
 */
public final class ImageSource implements ModelSource {
    private final ModelConfig config;
    private final String key;
    private final OnnxNetwork network;
    private final Classifier classifier;
    private final FeatureStats referenceStats;

    private ImageSource(ModelConfig config, String key, OnnxNetwork network, Classifier classifier,
                        FeatureStats referenceStats) {
        this.config = config;
        this.key = key;
        this.network = network;
        this.classifier = classifier;
        this.referenceStats = referenceStats;
    }

    /**
     * Reads the model folder's {@code model.json} (cheap: no session yet), for checking a plan's prompts
     * before anything runs.
     */
    public static ModelConfig config(Path dir) {
        return ModelConfig.read(dir);
    }

    /**
     * Opens the model in {@code dir} and, when {@code classifierDir} holds a classifier, the classifier and
     * its reference feature statistics.
     *
     * @param classifierDir a classifier folder ({@code classifier.onnx}, {@code test_features_*.npy}), or null
     */
    public static ImageSource open(Path dir, Path classifierDir, OnnxOptions options) {
        ModelConfig config = ModelConfig.read(dir);
        Path classifierFile = classifierDir == null ? null : classifierDir.resolve(Classifier.FILE);
        String key = key(config, dir, classifierFile != null && Files.isRegularFile(classifierFile) ? classifierFile : null);
        OnnxNetwork network = new OnnxNetwork(config.onnxFile(), config.classes().size(), options);
        Classifier classifier = null;
        FeatureStats stats = null;
        try {
            if (classifierDir != null && Files.isRegularFile(classifierDir.resolve(Classifier.FILE))) {
                classifier = Classifier.open(classifierDir, options);
                if (Files.isRegularFile(classifierDir.resolve(FeatureStats.MEAN_FILE))) {
                    stats = FeatureStats.load(classifierDir);
                }
            }
        } catch (IOException | RuntimeException e) {
            network.close();
            if (classifier != null) {
                classifier.close();
            }
            throw e instanceof IOException io ? new UncheckedIOException("cannot read classifier " + classifierDir
                    + ": " + io.getMessage(), io) : (RuntimeException) e;
        }
        return new ImageSource(config, key, network, classifier, stats);
    }

    /**
     * The model's key: its name and a digest of the files that decide a cell's result, read in full once per
     * run: {@code model.json}, the ONNX file and the classifier's ONNX file (adherence and the features the
     * Fréchet distance uses; its real-image statistics only enter the summary, which every run recomputes).
     * Sizes alone would not do: the two built-in models' ONNX files have the same size. The built-in files
     * are a few MB (milliseconds); multi-GB models would take seconds per run, which a digest cache keyed by
     * path, size and modification time could save (not done: a same-size edit within the clock's resolution
     * would then reuse stale cells). A model whose ONNX file keeps weights in external data files would need
     * those hashed too; none does yet.
     *
     * @param classifier the classifier's ONNX file, or null when the run has none
     */
    static String key(ModelConfig config, Path dir, Path classifier) {
        try {
            String files = String.join("|", Cell.sha256(dir.resolve("model.json")), Cell.sha256(config.onnxFile()),
                    classifier == null ? "no classifier" : Cell.sha256(classifier));
            return config.name() + "@" + Cell.sha256(files).substring(0, 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model " + dir + ": " + e.getMessage(), e);
        }
    }

    public ModelConfig config() {
        return config;
    }

    /** The classifier scoring this model's images, or null when the plan has none. */
    public Classifier classifier() {
        return classifier;
    }

    /** The classifier's feature statistics of real images (for the Fréchet distance), or null. */
    public FeatureStats referenceStats() {
        return referenceStats;
    }

    @Override
    public String name() {
        return config.name();
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public int[] sampleShape() {
        return config.sampleShape();
    }

    @Override
    public List<String> vocabulary() {
        return config.classes();
    }

    @Override
    public Conditioning parse(String text, String where) {
        return parse(config, text, where);
    }

    /** Parses a prompt over a model config's classes and synonyms, as {@link #parse(String, String)}. */
    public static Conditioning parse(ModelConfig config, String text, String where) {
        try {
            return Prompts.parse(text, config.classes(), config.synonyms());
        } catch (IllegalArgumentException e) {
            throw new PlanException(where + ": " + e.getMessage());
        }
    }

    @Override
    public Model model(CallTimer timer) {
        return new Model(config.name(), ModelSource.timed(new NetworkDenoiser(network, config.sampling()), timer),
                config.sampling(), config.sampleShape());
    }

    @Override
    public void close() {
        try {
            network.close();
        } finally {
            if (classifier != null) {
                classifier.close();
            }
        }
    }
}
