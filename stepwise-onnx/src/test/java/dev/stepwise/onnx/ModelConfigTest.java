package dev.stepwise.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** model.json's image pixel range: read, defaulted, and refused when malformed. */
class ModelConfigTest {
    @TempDir
    Path dir;

    private ModelConfig config(String pixelRange) throws IOException {
        Files.writeString(dir.resolve("model.json"), "{\"name\": \"m\", \"prediction\": \"eps\", \"schedule\": {\"type\":"
                + " \"discrete_vp\", \"linear_start\": 0.00085, \"linear_end\": 0.012}, \"image\": {\"channels\": 1,"
                + " \"height\": 4, \"width\": 4" + (pixelRange == null ? "" : ", \"pixel_range\": " + pixelRange) + "},"
                + " \"classes\": [\"a\"]}");
        return ModelConfig.read(dir);
    }

    @Test
    void thePixelRangeIsReadOrDefaultsToSigned() throws IOException {
        assertEquals(ModelConfig.PixelRange.SIGNED, config(null).pixelRange());
        assertEquals(new ModelConfig.PixelRange(0, 1), config("[0, 1]").pixelRange());
        assertEquals(new ModelConfig.PixelRange(-1, 1), config("[-1, 1]").pixelRange());
        Path json = dir.resolve("model.json");
        for (String bad : new String[] {"[1]", "\"[-1, 1]\"", "[0, \"1\"]", "[-1, 1, 2]"}) {
            assertEquals(json + ": field 'pixel_range' must be two numbers [low, high], such as [-1, 1]",
                    assertThrows(IllegalArgumentException.class, () -> config(bad)).getMessage(), bad);
        }
        assertEquals(json + ": pixel_range [1.0, 0.0] must be two finite numbers, low < high",
                assertThrows(IllegalArgumentException.class, () -> config("[1, 0]")).getMessage());
    }

    /** The training script's to_tensor: uint8 v -> v / 127.5 - 1 in float32; [0, 1] is v / 255. */
    @Test
    void pixelValuesAreComputedAsTrainingComputedThem() {
        for (int v = 0; v < 256; v++) {
            assertEquals(Float.floatToIntBits(v / 127.5f - 1f), Float.floatToIntBits(ModelConfig.PixelRange.SIGNED.value(v)));
            assertEquals(Float.floatToIntBits(v / 255f), Float.floatToIntBits(new ModelConfig.PixelRange(0, 1).value(v)));
        }
    }
}
