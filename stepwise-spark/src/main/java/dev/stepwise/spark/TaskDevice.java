package dev.stepwise.spark;

import dev.stepwise.onnx.OnnxOptions;
import java.util.Map;
import org.apache.spark.resource.ResourceInformation;

/**
 * Where a task's model runs: on the GPU that Spark's resource scheduling assigned the task (its "gpu" resource,
 * whose addresses are the CUDA device ordinals the discovery script printed), else on the CPU. The task's
 * cores ({@code spark.task.cpus}) are ONNX Runtime's intra-op threads, so that the tasks of one executor do not
 * oversubscribe its cores, as the local engine gives each of several workers one thread.
 */
final class TaskDevice {
    /** Spark's name of the GPU resource ({@code spark.task.resource.gpu.amount}). */
    static final String GPU = "gpu";

    private TaskDevice() {
    }

    /**
     * The session options of a task.
     *
     * @param resources the task's resources ({@code TaskContext.resourcesJMap()})
     * @param cpus      the task's cores ({@code TaskContext.cpus()})
     * @throws IllegalArgumentException for a GPU address that is not a CUDA device ordinal
     */
    static OnnxOptions options(Map<String, ResourceInformation> resources, int cpus) {
        OnnxOptions cpu = OnnxOptions.defaults().withThreads(Math.max(1, cpus));
        ResourceInformation gpu = resources.get(GPU);
        if (gpu == null || gpu.addresses().length == 0) {
            return cpu;
        }
        // One task, one session on one device: with spark.task.resource.gpu.amount=1 there is one address.
        String address = gpu.addresses()[0].strip();
        int ordinal;
        try {
            ordinal = Integer.parseInt(address);
        } catch (NumberFormatException e) {
            ordinal = -1;
        }
        if (ordinal < 0) {
            throw new IllegalArgumentException("GPU address '" + address + "' from Spark's task resources is not a"
                    + " CUDA device ordinal (0, 1, ...); the discovery script must print nvidia-smi's indices");
        }
        return cpu.withDevice(OnnxOptions.Device.CUDA).withCudaDevice(ordinal);
    }

    /** The device in words, for messages: "cpu" or "cuda:N". */
    static String describe(OnnxOptions o) {
        return o.device() == OnnxOptions.Device.CUDA ? "cuda:" + o.cudaDevice() : o.device().id();
    }
}
