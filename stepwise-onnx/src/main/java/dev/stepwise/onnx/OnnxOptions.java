package dev.stepwise.onnx;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.util.Locale;

/**
 * How an ONNX Runtime session is set up.
 *
 * @param intraOpThreads threads inside one operator; 0 lets ONNX Runtime choose (one per physical core)
 * @param optimization   graph optimisation level
 * @param device         where the network runs
 * @param cudaDevice     CUDA device ordinal when {@code device} is {@link Device#CUDA}
 * @param maxBatch       largest batch sent to the network in one run; larger batches are split
 */
public record OnnxOptions(int intraOpThreads, Optimization optimization, Device device, int cudaDevice, int maxBatch) {

    /** Execution provider. */
    public enum Device {
        CPU, CUDA;

        public static Device parse(String s) {
            for (Device d : values()) {
                if (d.name().equalsIgnoreCase(s.trim())) {
                    return d;
                }
            }
            throw new IllegalArgumentException("unknown device '" + s + "'; allowed: cpu, cuda");
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** ONNX Runtime's graph optimisation levels. */
    public enum Optimization {
        NONE(OptLevel.NO_OPT), BASIC(OptLevel.BASIC_OPT), EXTENDED(OptLevel.EXTENDED_OPT), ALL(OptLevel.ALL_OPT);

        private final OptLevel level;

        Optimization(OptLevel level) {
            this.level = level;
        }

        OptLevel level() {
            return level;
        }

        public static Optimization parse(String s) {
            for (Optimization o : values()) {
                if (o.name().equalsIgnoreCase(s.trim())) {
                    return o;
                }
            }
            throw new IllegalArgumentException("unknown graph optimisation '" + s + "'; allowed: none, basic, extended, all");
        }
    }

    public OnnxOptions {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intra-op threads " + intraOpThreads + " must be >= 0 (0 = automatic)");
        }
        if (optimization == null || device == null) {
            throw new IllegalArgumentException("optimisation level and device must be given");
        }
        if (cudaDevice < 0) {
            throw new IllegalArgumentException("CUDA device " + cudaDevice + " must be >= 0");
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("max batch " + maxBatch + " must be >= 1");
        }
    }

    /** CPU, automatic thread count, all graph optimisations, batches of up to 64. */
    public static OnnxOptions defaults() {
        return new OnnxOptions(0, Optimization.ALL, Device.CPU, 0, 64);
    }

    public OnnxOptions withThreads(int threads) {
        return new OnnxOptions(threads, optimization, device, cudaDevice, maxBatch);
    }

    public OnnxOptions withOptimization(Optimization level) {
        return new OnnxOptions(intraOpThreads, level, device, cudaDevice, maxBatch);
    }

    public OnnxOptions withDevice(Device d) {
        return new OnnxOptions(intraOpThreads, optimization, d, cudaDevice, maxBatch);
    }

    public OnnxOptions withCudaDevice(int ordinal) {
        return new OnnxOptions(intraOpThreads, optimization, device, ordinal, maxBatch);
    }

    public OnnxOptions withMaxBatch(int batch) {
        return new OnnxOptions(intraOpThreads, optimization, device, cudaDevice, batch);
    }
}
