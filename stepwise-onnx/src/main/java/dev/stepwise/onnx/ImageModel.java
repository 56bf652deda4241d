package dev.stepwise.onnx;

import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.NetworkDenoiser;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A class-conditional image diffusion model loaded from a folder holding {@code model.json} and its
 * ONNX network: the core {@link Model} to sample (sample shape [C, H, W] from the json, for example
 * [1, 28, 28]), the class vocabulary and the prompt parser over it. Close it to free the ONNX session.
 */
public final class ImageModel implements AutoCloseable {
    private final ModelConfig config;
    private final OnnxNetwork network;
    private final Model model;

    private ImageModel(ModelConfig config, OnnxNetwork network) {
        this.config = config;
        this.network = network;
        this.model = new Model(config.name(), new NetworkDenoiser(network, config.sampling()), config.sampling(),
                config.sampleShape());
    }

    /** Loads {@code dir/model.json} and opens the network it names. */
    public static ImageModel load(Path dir, OnnxOptions options) {
        ModelConfig config = ModelConfig.read(dir);
        return new ImageModel(config, new OnnxNetwork(config.onnxFile(), config.classes().size(), options));
    }

    public static ImageModel load(Path dir) {
        return load(dir, OnnxOptions.defaults());
    }

    /** The model to put in a {@code SampleRequest}. Its denoiser is not thread-safe. */
    public Model model() {
        return model;
    }

    public ModelConfig config() {
        return config;
    }

    public String name() {
        return config.name();
    }

    public OnnxNetwork network() {
        return network;
    }

    public List<String> classes() {
        return config.classes();
    }

    public Map<String, String> synonyms() {
        return config.synonyms();
    }

    /** Parses a prompt such as {@code "(bag:1.3), coat"} over this model's classes and synonyms. */
    public Conditioning.Classes prompt(String text) {
        return Prompts.parse(text, config.classes(), config.synonyms());
    }

    @Override
    public void close() {
        network.close();
    }
}
