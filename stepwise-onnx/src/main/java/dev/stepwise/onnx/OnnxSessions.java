package dev.stepwise.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/** Opens ONNX Runtime sessions with {@link OnnxOptions}; shared by networks and classifiers. */
public final class OnnxSessions {
    /** What to tell a user who asks for CUDA from a build that bundles the CPU-only runtime. */
    public static final String CUDA_UNAVAILABLE = "CUDA is unavailable in this build of Stepwise: it bundles the"
            + " CPU-only ONNX Runtime (com.microsoft.onnxruntime:onnxruntime). Rebuild with './mvnw -Pcuda install'"
            + " to use com.microsoft.onnxruntime:onnxruntime_gpu (needs an NVIDIA driver, CUDA 12 and cuDNN 9),"
            + " or run with device cpu.";

    private OnnxSessions() {
    }

    /**
     * The process's ONNX Runtime environment, created on first use. ONNX Runtime (1.29, Linux) walks the
     * process's command line recursively while it creates its environment, a few hundred bytes of native stack
     * per byte of {@code /proc/self/cmdline}: from about 4 KB of arguments on, a thread's default 1 MB stack
     * overflows and the JVM dies with SIGSEGV, printing nothing. So the environment is created once, here, on a
     * thread whose stack is sized from the command line's length; later calls get the same instance.
     */
    public static OrtEnvironment environment() {
        OrtEnvironment env = environment;
        if (env == null) {
            synchronized (OnnxSessions.class) {
                env = environment;
                if (env == null) {
                    env = createEnvironment();
                    environment = env;
                }
            }
        }
        return env;
    }

    private static volatile OrtEnvironment environment;

    /**
     * Native stack for creating the environment: 16 MiB plus 512 bytes per byte of the command line (measured:
     * a 100,000-byte argument needs between 16 and 32 MiB, so about 160 to 320 bytes per byte). Linux caps a
     * command line at 2 MiB, hence at most about 1 GiB, reserved address space that is only touched as used.
     */
    static long environmentStackBytes(long commandLineBytes) {
        return (16L << 20) + (commandLineBytes << 9);
    }

    private static OrtEnvironment createEnvironment() {
        long cmdline;
        try {
            cmdline = Files.readAllBytes(Path.of("/proc/self/cmdline")).length;   // a proc file has no size: read it
        } catch (IOException | RuntimeException e) {
            cmdline = 256 << 10;   // not Linux: room for a 256 KB command line
        }
        AtomicReference<Object> made = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                made.set(OrtEnvironment.getEnvironment());
            } catch (RuntimeException | Error e) {
                made.set(e);
            }
        }, "onnxruntime-environment", environmentStackBytes(cmdline));
        t.start();
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;   // the environment is a process-wide singleton: finish making it
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Object r = made.get();
        if (r instanceof OrtEnvironment env) {
            return env;
        }
        if (r instanceof RuntimeException e) {
            throw e;
        }
        throw (Error) r;
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
    public static TensorInfo tensorInfo(Map<String, NodeInfo> nodes, String name, String kind, Path file) {
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

    public static Map<String, NodeInfo> inputs(OrtSession s) {
        try {
            return s.getInputInfo();
        } catch (OrtException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    public static Map<String, NodeInfo> outputs(OrtSession s) {
        try {
            return s.getOutputInfo();
        } catch (OrtException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
