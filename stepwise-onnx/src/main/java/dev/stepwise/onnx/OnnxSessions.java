package dev.stepwise.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Opens ONNX Runtime sessions with {@link OnnxOptions}; shared by networks and classifiers. */
public final class OnnxSessions {
    /** What to tell a user who asks for CUDA from a build that bundles the CPU-only runtime. */
    public static final String CUDA_UNAVAILABLE = "CUDA is unavailable in this build of Stepwise: it bundles the"
            + " CPU-only ONNX Runtime (com.microsoft.onnxruntime:onnxruntime). Rebuild with './mvnw -Pcuda install'"
            + " to use com.microsoft.onnxruntime:onnxruntime_gpu (needs an NVIDIA driver, CUDA 12 and cuDNN 9),"
            + " or run with device cpu.";

    private OnnxSessions() {
    }

    static OrtEnvironment environment() {
        return OrtEnvironment.getEnvironment();
    }

    /** Whether the ONNX Runtime on the class path was built with the CUDA execution provider. */
    public static boolean cudaAvailable() {
        return OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
    }

    /** Opens {@code file} as a session; the caller closes it. Fails with one clear line for a missing file or CUDA. */
    public static OrtSession open(Path file, OnnxOptions options) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("ONNX model file " + file + " does not exist");
        }
        OrtEnvironment env = environment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(options.optimization().level());
            if (options.intraOpThreads() > 0) {
                so.setIntraOpNumThreads(options.intraOpThreads());
            }
            if (options.device() == OnnxOptions.Device.CUDA) {
                if (!cudaAvailable()) {
                    throw new IllegalStateException(CUDA_UNAVAILABLE);
                }
                try {
                    so.addCUDA(options.cudaDevice());
                } catch (OrtException e) {
                    throw new IllegalStateException("the CUDA execution provider failed to start on device "
                            + options.cudaDevice() + " (" + e.getMessage() + "); check the NVIDIA driver, CUDA 12"
                            + " and cuDNN 9 libraries, or run with device cpu", e);
                }
            }
            // The session copies what it needs from the options, so they can be closed here.
            return env.createSession(file.toString(), so);
        } catch (OrtException e) {
            throw new IllegalArgumentException("cannot load ONNX model " + file + ": " + e.getMessage(), e);
        }
    }

    /** Closes a session opened by {@link #open}; a failure becomes an unchecked error naming the file. */
    public static void close(OrtSession session, Path file) {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the ONNX session of " + file + " failed: " + e.getMessage(), e);
        }
    }

    /** The tensor info of a named input or output, or a clear error naming what the file has. */
    static TensorInfo tensorInfo(Map<String, NodeInfo> nodes, String name, String kind, Path file) {
        NodeInfo n = nodes.get(name);
        if (n == null) {
            throw new IllegalArgumentException("ONNX model " + file + " has no " + kind + " named '" + name
                    + "'; its " + kind + "s are " + nodes.keySet());
        }
        if (!(n.getInfo() instanceof TensorInfo t)) {
            throw new IllegalArgumentException(kind + " '" + name + "' of " + file + " is not a tensor");
        }
        return t;
    }

    static Map<String, NodeInfo> inputs(OrtSession s) {
        try {
            return s.getInputInfo();
        } catch (OrtException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    static Map<String, NodeInfo> outputs(OrtSession s) {
        try {
            return s.getOutputInfo();
        } catch (OrtException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
