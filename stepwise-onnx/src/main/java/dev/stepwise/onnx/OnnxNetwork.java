package dev.stepwise.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Network;
import dev.stepwise.core.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A class-conditional diffusion network in an ONNX file, run by ONNX Runtime. The graph takes
 * {@code x} float32 [B, C, H, W] (already scaled by c_in), {@code t} float32 [B] (the model's timestep)
 * and {@code y} float32 [B, classes] (class weights, all zeros for the unconditional branch) and returns
 * {@code out} float32 [B, C, H, W] (eps, v, x0 or flow velocity as model.json says). One session is
 * opened at construction and reused for every call; close the network to free it.
 */
public final class OnnxNetwork implements Network, AutoCloseable {
    private final Path file;
    private final OrtSession session;
    private final int classes;
    private final int maxBatch;
    private final long[] rowShape;
    private boolean closed;

    /**
     * Opens {@code file}. {@code classes} is the length of the {@code y} vector; it must agree with the
     * graph when the graph fixes that dimension.
     */
    public OnnxNetwork(Path file, int classes, OnnxOptions options) {
        if (classes < 1) {
            throw new IllegalArgumentException("class count " + classes + " must be >= 1");
        }
        this.file = file;
        this.classes = classes;
        this.maxBatch = options.maxBatch();
        this.session = OnnxSessions.open(file, options);
        try {
            var in = OnnxSessions.inputs(session);
            TensorInfo x = OnnxSessions.tensorInfo(in, "x", "input", file);
            OnnxSessions.tensorInfo(in, "t", "input", file);
            long[] y = OnnxSessions.tensorInfo(in, "y", "input", file).getShape();
            OnnxSessions.tensorInfo(OnnxSessions.outputs(session), "out", "output", file);
            if (y.length != 2 || (y[1] > 0 && y[1] != classes)) {
                throw new IllegalArgumentException("input y of " + file + " has shape " + Arrays.toString(y)
                        + "; expected [B, " + classes + "]");
            }
            long[] xs = x.getShape();
            rowShape = Arrays.copyOfRange(xs, 1, xs.length);
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    public Path file() {
        return file;
    }

    public int classes() {
        return classes;
    }

    @Override
    public int maxBatch() {
        return maxBatch;
    }

    @Override
    public void forward(Tensor input, double timestep, List<Conditioning> cond, Tensor out) {
        int batch = input.batch();
        if (cond.size() != batch) {
            throw new IllegalArgumentException("batch of " + batch + " rows has " + cond.size() + " conditionings");
        }
        if (!input.sameShape(out)) {
            throw new IllegalArgumentException("output " + out + " must have the input's shape " + input);
        }
        checkRowShape(input);
        float[] y = classWeights(cond, classes);
        int row = input.rowSize();
        for (int start = 0; start < batch; start += maxBatch) {
            int n = Math.min(maxBatch, batch - start);
            run(input, start, n, row, (float) timestep, y, out);
        }
    }

    private void run(Tensor input, int start, int n, int row, float timestep, float[] y, Tensor out) {
        OrtEnvironment env = OnnxSessions.environment();
        long[] shape = toLong(input.shape());
        shape[0] = n;
        float[] t = new float[n];
        Arrays.fill(t, timestep);
        try (OnnxTensor xt = OnnxTensor.createTensor(env, FloatBuffer.wrap(input.data(), start * row, n * row).slice(), shape);
             OnnxTensor tt = OnnxTensor.createTensor(env, FloatBuffer.wrap(t), new long[] {n});
             OnnxTensor yt = OnnxTensor.createTensor(env, FloatBuffer.wrap(y, start * classes, n * classes).slice(),
                     new long[] {n, classes});
             OrtSession.Result r = session.run(Map.of("x", xt, "t", tt, "y", yt))) {
            OnnxValue v = r.get("out").orElseThrow();
            if (!(v instanceof OnnxTensor o)) {
                throw new IllegalStateException("output 'out' of " + file + " is not a tensor");
            }
            FloatBuffer fb = o.getFloatBuffer();
            if (fb == null || fb.remaining() != n * row) {
                throw new IllegalStateException("output 'out' of " + file + " has shape "
                        + Arrays.toString(o.getInfo().getShape()) + "; expected the input's " + Arrays.toString(shape));
            }
            fb.get(out.data(), start * row, n * row);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + file + ": " + e.getMessage(), e);
        }
    }

    private void checkRowShape(Tensor input) {
        int[] rs = input.rowShape();
        boolean ok = rs.length == rowShape.length;
        for (int i = 0; ok && i < rs.length; i++) {
            ok = rowShape[i] <= 0 || rowShape[i] == rs[i];
        }
        if (!ok) {
            throw new IllegalArgumentException("input rows of shape " + Arrays.toString(rs) + " do not fit " + file
                    + ", whose x rows are " + Arrays.toString(rowShape));
        }
    }

    /**
     * The {@code y} input for a batch: each row's class weights, zeros for unconditional rows.
     *
     * @throws IllegalArgumentException for a weight vector of the wrong length or a kind of conditioning
     *                                  that a class-conditional network cannot read
     */
    public static float[] classWeights(List<Conditioning> cond, int classes) {
        float[] y = new float[cond.size() * classes];
        for (int b = 0; b < cond.size(); b++) {
            Conditioning c = cond.get(b);
            if (c instanceof Conditioning.Classes w) {
                if (w.count() != classes) {
                    throw new IllegalArgumentException("class weights " + w + " have " + w.count()
                            + " entries; this model has " + classes + " classes");
                }
                for (int k = 0; k < classes; k++) {
                    y[b * classes + k] = (float) w.weight(k);
                }
            } else if (!c.isUnconditional()) {
                throw new IllegalArgumentException("this class-conditional model cannot read conditioning " + c
                        + "; give class weights or none");
            }
        }
        return y;
    }

    private static long[] toLong(int[] s) {
        long[] l = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            l[i] = s[i];
        }
        return l;
    }

    private void closeQuietly() {
        try {
            session.close();
        } catch (OrtException e) {
            // already failing; the first error is the one to report
        }
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
