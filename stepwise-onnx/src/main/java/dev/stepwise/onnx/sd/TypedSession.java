package dev.stepwise.onnx.sd;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.platform.Fp16Conversions;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.OnnxSessions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One ONNX part of a model folder (a text encoder, the UNet, the VAE) whose inputs are given as float32 or
 * integer values and cast at the session boundary to whatever element type the graph declares (float16,
 * float32, double, int32, int64), as fp16 and fp32 exports differ only there. Outputs come back as float32.
 * Input and output names, ranks and fixed dimensions are read from the session, not assumed.
 */
final class TypedSession implements AutoCloseable {
    /** Element types a part's tensors may have. */
    private static final Set<OnnxJavaType> TYPES = Set.of(OnnxJavaType.FLOAT, OnnxJavaType.FLOAT16,
            OnnxJavaType.DOUBLE, OnnxJavaType.INT32, OnnxJavaType.INT64);

    private final Path file;
    private final OrtSession session;
    private final Map<String, TensorInfo> inputs;
    private final Map<String, TensorInfo> outputs;

    private TypedSession(Path file, OrtSession session) {
        this.file = file;
        this.session = session;
        this.inputs = infos(OnnxSessions.inputs(session));
        this.outputs = infos(OnnxSessions.outputs(session));
    }

    /** Opens {@code file}; a missing file is one line saying what the part is. */
    static TypedSession open(Path file, String what, OnnxOptions options) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": missing (expected " + what + " exported to ONNX)");
        }
        return new TypedSession(file, OnnxSessions.open(file, options));
    }

    private Map<String, TensorInfo> infos(Map<String, NodeInfo> nodes) {
        Map<String, TensorInfo> m = new LinkedHashMap<>();
        for (Map.Entry<String, NodeInfo> e : nodes.entrySet()) {
            if (e.getValue().getInfo() instanceof TensorInfo t) {
                m.put(e.getKey(), t);
            }
        }
        return m;
    }

    Path file() {
        return file;
    }

    boolean hasInput(String name) {
        return inputs.containsKey(name);
    }

    boolean hasOutput(String name) {
        return outputs.containsKey(name);
    }

    List<String> outputNames() {
        return new ArrayList<>(outputs.keySet());
    }

    /** The named input's declared shape (-1 for a free dimension), checked for rank and element type. */
    long[] input(String name, int... ranks) {
        return check(inputs, name, "input", ranks);
    }

    /** The named output's declared shape (-1 for a free dimension), checked for rank and element type. */
    long[] output(String name, int... ranks) {
        return check(outputs, name, "output", ranks);
    }

    private long[] check(Map<String, TensorInfo> nodes, String name, String kind, int... ranks) {
        TensorInfo t = nodes.get(name);
        if (t == null) {
            throw new IllegalArgumentException(file + ": expected an " + kind + " named '" + name + "'; its " + kind
                    + "s are " + nodes.keySet());
        }
        if (!TYPES.contains(t.type)) {
            throw new IllegalArgumentException(file + ": " + kind + " '" + name + "' is " + t.type
                    + ", expected float16, float32, double, int32 or int64");
        }
        long[] shape = t.getShape();
        if (ranks.length > 0 && Arrays.stream(ranks).noneMatch(r -> r == shape.length)) {
            throw new IllegalArgumentException(file + ": " + kind + " '" + name + "' has shape " + Arrays.toString(shape)
                    + ", expected rank " + (ranks.length == 1 ? ranks[0] : Arrays.toString(ranks)));
        }
        return shape;
    }

    OnnxJavaType inputType(String name) {
        return inputs.get(name).type;
    }

    /** A float32 result of {@link #run}: values and shape. */
    record Output(float[] data, long[] shape) {
    }

    /**
     * Runs the session on the given inputs (name to float[] or long[] with its shape) and returns the asked
     * outputs as float32.
     */
    Map<String, Output> run(Map<String, Input> in, List<String> wanted) {
        OrtEnvironment env = OnnxSessions.environment();
        Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Input> e : in.entrySet()) {
                tensors.put(e.getKey(), tensor(env, e.getKey(), e.getValue()));
            }
            try (OrtSession.Result r = session.run(tensors, Set.copyOf(wanted))) {
                Map<String, Output> out = new LinkedHashMap<>();
                for (String name : wanted) {
                    OnnxValue v = r.get(name).orElseThrow();
                    if (!(v instanceof OnnxTensor t)) {
                        throw new IllegalStateException(file + ": output '" + name + "' is not a tensor");
                    }
                    out.put(name, new Output(floats(t), t.getInfo().getShape()));
                }
                return out;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on " + file + ": " + e.getMessage(), e);
        } finally {
            tensors.values().forEach(OnnxTensor::close);
        }
    }

    /** An input: float values or integer values (exactly one non-null) and the shape to give them. */
    record Input(float[] floats, long[] longs, long[] shape) {
        static Input of(float[] values, long... shape) {
            return new Input(values, null, shape);
        }

        static Input ofLongs(long[] values, long... shape) {
            return new Input(null, values, shape);
        }

        int size() {
            return floats != null ? floats.length : longs.length;
        }

        double value(int i) {
            return floats != null ? floats[i] : longs[i];
        }
    }

    private OnnxTensor tensor(OrtEnvironment env, String name, Input in) throws OrtException {
        TensorInfo info = inputs.get(name);
        if (info == null) {
            throw new IllegalArgumentException(file + ": expected an input named '" + name + "'; its inputs are "
                    + inputs.keySet());
        }
        int n = in.size();
        return switch (info.type) {
            case FLOAT -> {
                FloatBuffer b = FloatBuffer.allocate(n);
                for (int i = 0; i < n; i++) {
                    b.put(i, (float) in.value(i));
                }
                yield OnnxTensor.createTensor(env, b, in.shape());
            }
            case FLOAT16 -> {
                ShortBuffer b = ByteBuffer.allocateDirect(2 * n).order(ByteOrder.nativeOrder()).asShortBuffer();
                for (int i = 0; i < n; i++) {
                    b.put(i, Fp16Conversions.floatToFp16((float) in.value(i)));
                }
                yield OnnxTensor.createTensor(env, b, in.shape(), OnnxJavaType.FLOAT16);
            }
            case DOUBLE -> {
                java.nio.DoubleBuffer b = java.nio.DoubleBuffer.allocate(n);
                for (int i = 0; i < n; i++) {
                    b.put(i, in.value(i));
                }
                yield OnnxTensor.createTensor(env, b, in.shape());
            }
            case INT32 -> {
                IntBuffer b = IntBuffer.allocate(n);
                for (int i = 0; i < n; i++) {
                    b.put(i, (int) Math.round(in.value(i)));
                }
                yield OnnxTensor.createTensor(env, b, in.shape());
            }
            case INT64 -> {
                LongBuffer b = LongBuffer.allocate(n);
                for (int i = 0; i < n; i++) {
                    b.put(i, in.longs != null ? in.longs[i] : Math.round(in.value(i)));
                }
                yield OnnxTensor.createTensor(env, b, in.shape());
            }
            default -> throw new IllegalArgumentException(file + ": input '" + name + "' is " + info.type
                    + ", expected float16, float32, double, int32 or int64");
        };
    }

    private float[] floats(OnnxTensor t) {
        OnnxJavaType type = t.getInfo().type;
        int n = (int) t.getInfo().getNumElements();
        float[] out = new float[n];
        switch (type) {
            case FLOAT -> t.getFloatBuffer().get(out);
            case FLOAT16 -> {
                ShortBuffer b = t.getShortBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = Fp16Conversions.fp16ToFloat(b.get(i));
                }
            }
            case DOUBLE -> {
                java.nio.DoubleBuffer b = t.getDoubleBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = (float) b.get(i);
                }
            }
            default -> throw new IllegalStateException(file + ": output is " + type + ", expected a float type");
        }
        return out;
    }

    @Override
    public void close() {
        OnnxSessions.close(session, file);
    }
}
