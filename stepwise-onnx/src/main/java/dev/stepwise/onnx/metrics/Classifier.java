package dev.stepwise.onnx.metrics;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.OnnxSessions;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * An image classifier in an ONNX file: input {@code x} float32 [B, 1, H, W] in [-1, 1], outputs
 * {@code logits} [B, classes] and {@code features} [B, F] (the penultimate layer, for the
 * classifier-feature Fréchet distance). One session, reused; close it when done.
 */
public final class Classifier implements AutoCloseable {
    /** The file name of the classifier in a classifier folder. */
    public static final String FILE = "classifier.onnx";

    private final Path file;
    private final OrtSession session;
    private final int maxBatch;
    private boolean closed;

    /** Logits and features of a batch, row i of each belonging to image i. */
    public record Result(Tensor logits, Tensor features) {
        /** The features as rows of doubles, for {@link FeatureStats#of}. */
        public double[][] featureRows() {
            double[][] rows = new double[features.batch()][];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = features.row(i);
            }
            return rows;
        }

        public int[] predictions() {
            return PromptAdherence.argmax(logits);
        }
    }

    public Classifier(Path file, OnnxOptions options) {
        this.file = file;
        this.maxBatch = options.maxBatch();
        this.session = OnnxSessions.open(file, options);
        for (String out : new String[] {"logits", "features"}) {
            if (!session.getOutputNames().contains(out)) {
                close();
                throw new IllegalArgumentException("classifier " + file + " has no output '" + out + "'; its outputs are "
                        + session.getOutputNames());
            }
        }
        if (!session.getInputNames().contains("x")) {
            close();
            throw new IllegalArgumentException("classifier " + file + " has no input 'x'; its inputs are "
                    + session.getInputNames());
        }
    }

    /** Opens {@code dir/classifier.onnx}. */
    public static Classifier open(Path dir, OnnxOptions options) {
        return new Classifier(dir.resolve(FILE), options);
    }

    /** Classifies a batch [B, 1, H, W] of images in [-1, 1], in chunks of at most maxBatch rows. */
    public Result classify(Tensor images) {
        int b = images.batch(), row = images.rowSize();
        float[] logits = null, features = null;
        int nl = 0, nf = 0;
        OrtEnvironment env = OnnxSessions.environment();
        for (int start = 0; start < b; start += maxBatch) {
            int n = Math.min(maxBatch, b - start);
            long[] shape = Arrays.stream(images.shape()).asLongStream().toArray();
            shape[0] = n;
            try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(images.data(), start * row, n * row).slice(), shape);
                 OrtSession.Result r = session.run(Map.of("x", x))) {
                FloatBuffer l = floats(r, "logits"), f = floats(r, "features");
                if (logits == null) {
                    nl = l.remaining() / n;
                    nf = f.remaining() / n;
                    logits = new float[b * nl];
                    features = new float[b * nf];
                }
                if (l.remaining() != n * nl || f.remaining() != n * nf) {
                    throw new IllegalStateException("classifier " + file + " returned outputs of inconsistent sizes");
                }
                l.get(logits, start * nl, n * nl);
                f.get(features, start * nf, n * nf);
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime failed on " + file + ": " + e.getMessage(), e);
            }
        }
        return new Result(Tensor.wrap(logits, b, nl), Tensor.wrap(features, b, nf));
    }

    private FloatBuffer floats(OrtSession.Result r, String name) {
        OnnxValue v = r.get(name).orElseThrow();
        if (!(v instanceof OnnxTensor t) || t.getFloatBuffer() == null) {
            throw new IllegalStateException("output '" + name + "' of " + file + " is not a float tensor");
        }
        return t.getFloatBuffer();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        OnnxSessions.close(session, file);
    }
}
