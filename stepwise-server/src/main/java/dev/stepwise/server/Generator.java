package dev.stepwise.server;

import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.sampling.StepListener;
import dev.stepwise.harness.Generation;
import dev.stepwise.harness.Limits;
import dev.stepwise.onnx.ImageModel;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.image.Filter;
import dev.stepwise.onnx.image.InitImage;
import dev.stepwise.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs a job's spec with the library's generate run ({@link Generation}), as {@code stepwise generate} does, and
 * writes its images into the outputs folder, all at once and atomically. Loaded models stay open between jobs (one
 * worker thread uses them; the denoiser is not thread-safe).
 */
final class Generator implements AutoCloseable {
    private final Path models;
    private final Path outputs;
    private final Limits limits;
    private final Map<String, ImageModel> loaded = new HashMap<>();

    Generator(Path models, Path outputs, Limits limits) {
        this.models = models;
        this.outputs = outputs;
        this.limits = limits;
    }

    /**
     * Told after each step of each iteration, with the step's estimate of the first finished image (the x0
     * prediction, [1, sample shape]), copied only when asked for.
     */
    interface Progress {
        void step(int done, int total, Supplier<Tensor> denoised);
    }

    record Result(List<String> images, List<String> infotexts) {
    }

    /**
     * Runs every iteration of the spec and writes "ID/1.png" .. "ID/N.png" under the outputs folder.
     *
     * @throws java.util.concurrent.CancellationException when {@code progress} throws it (a cancelled job)
     */
    Result run(String id, GenerateSpec spec, Progress progress) throws IOException {
        Filter filter = spec.parsedFilter();
        Map<Path, byte[]> files = new LinkedHashMap<>();
        List<String> images = new ArrayList<>(), infotexts = new ArrayList<>();
        java.awt.image.BufferedImage init = spec.init("init_image");
        for (int it = 0; it < spec.iterations(); it++) {
            Generation.Prepared p = Generation.prepare(spec.settings(it), models, limits);
            Tensor latent = init == null ? null : initLatent(init, spec, p.config());
            ImageModel model = loaded.get(spec.model());
            if (model == null) {
                model = ImageModel.load(p.dir(), OnnxOptions.defaults());
                loaded.put(spec.model(), model);
            }
            int iteration = it;
            int[] shape = p.config().sampleShape();
            int row = shape[0] * shape[1] * shape[2];
            StepListener listener = (step, steps, sigma, x, denoised) -> progress.step(iteration * steps + step + 1,
                    spec.iterations() * steps, () -> Tensor.wrap(Arrays.copyOf(denoised, row), 1, shape[0], shape[1], shape[2]));
            Generation.Output out = Generation.run(p, model.model(), listener, latent, spec.denoise());
            for (int i = 0; i < spec.batch(); i++) {
                String name = id + "/" + (images.size() + 1) + ".png";
                files.put(outputs.resolve(name), out.png(i, spec.scale(), filter));
                images.add(name);
                infotexts.add(out.infotext(i).format());
            }
        }
        java.nio.file.Files.createDirectories(outputs.resolve(id));
        AtomicFiles.write(files);
        return new Result(images, infotexts);
    }

    /** The init image at the model's size, as its pixels, repeated over the batch: img2img's starting latent. */
    private static Tensor initLatent(java.awt.image.BufferedImage init, GenerateSpec spec, ModelConfig config) {
        int[] shape = config.sampleShape();
        Tensor one = InitImage.gray(InitImage.resize(init, shape[2], shape[1], spec.parsedResizeMode()), config.pixelRange());
        int row = one.size();
        float[] all = new float[row * spec.batch()];
        for (int i = 0; i < spec.batch(); i++) {
            System.arraycopy(one.data(), 0, all, i * row, row);
        }
        return Tensor.wrap(all, spec.batch(), shape[0], shape[1], shape[2]);
    }

    @Override
    public void close() {
        loaded.values().forEach(ImageModel::close);
        loaded.clear();
    }
}
