package dev.stepwise.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.onnx.OnnxOptions;
import java.util.Map;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;

/** A task's Spark resources to the ONNX Runtime device its model opens on. */
class TaskDeviceTest {
    private static Map<String, ResourceInformation> gpu(String... addresses) {
        return Map.of("gpu", new ResourceInformation("gpu", addresses));
    }

    @Test
    void theAssignedGpuAddressIsTheCudaDeviceOrdinal() {
        OnnxOptions o = TaskDevice.options(gpu("3"), 2);
        assertEquals(OnnxOptions.Device.CUDA, o.device());
        assertEquals(3, o.cudaDevice());
        assertEquals(2, o.intraOpThreads(), "the task's cores");
        assertEquals("cuda:3", TaskDevice.describe(o));
    }

    @Test
    void noGpuResourceIsTheCpuWithTheTasksCores() {
        OnnxOptions o = TaskDevice.options(Map.of(), 1);
        assertEquals(OnnxOptions.Device.CPU, o.device());
        assertEquals(1, o.intraOpThreads());
        assertEquals("cpu", TaskDevice.describe(o));
        assertEquals(OnnxOptions.Device.CPU, TaskDevice.options(gpu(), 4).device(), "a gpu resource with no address");
        assertEquals(OnnxOptions.Device.CPU,
                TaskDevice.options(Map.of("fpga", new ResourceInformation("fpga", new String[] {"0"})), 1).device());
    }

    @Test
    void anAddressThatIsNoOrdinalIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TaskDevice.options(gpu("GPU-5f3e"), 1));
        assertTrue(e.getMessage().startsWith("GPU address 'GPU-5f3e' from Spark's task resources is not a CUDA device"
                + " ordinal"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TaskDevice.options(gpu("-1"), 1));
    }
}
