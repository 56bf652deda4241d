package dev.stepwise.cli;

import dev.stepwise.harness.Limits;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.OnnxSessions;
import picocli.CommandLine.Option;

/**
 * Where ONNX models run, shared by the commands that run them as a picocli mixin: --device and --threads, their
 * checks, and the session options they make.
 */
final class DeviceOptions {

    @Option(names = "--device", paramLabel = "D", defaultValue = "cpu",
            description = "Where ONNX models run: cpu, or cuda (needs a build with -Pcuda). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "ONNX Runtime intra-op threads per network call (0 = automatic: one per physical core, or 1 "
                    + "when several cells run at once). Default: ${DEFAULT-VALUE}.")
    int threads;

    /**
     * The checked session options (--threads within the threads limit) for a session that {@code workers} threads call at once: automatic threads
     * are 1 per call when there are several workers, so that they do not oversubscribe the cores.
     */
    OnnxOptions options(int workers, Limits limits) {
        if (threads < 0) {
            throw new UsageException("--threads " + threads + " is not allowed; threads must be >= 0 (0 = automatic)");
        }
        // ONNX Runtime starts every intra-op thread it is told to: 100000 of them hang the machine.
        LimitFlag.check("--threads", threads, limits.threads(), "threads", "threads", limits);
        OnnxOptions.Device d;
        try {
            d = OnnxOptions.Device.parse(device);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--device: " + e.getMessage());
        }
        if (d == OnnxOptions.Device.CUDA && !OnnxSessions.cudaAvailable()) {
            throw new UsageException("--device cuda: " + OnnxSessions.CUDA_UNAVAILABLE);
        }
        return OnnxOptions.defaults().withThreads(threads > 0 ? threads : workers > 1 ? 1 : 0).withDevice(d);
    }

    /** "auto" or the thread count, for printed headers. */
    String threadsText() {
        return threads == 0 ? "auto" : Integer.toString(threads);
    }
}
