package dev.stepwise.onnx.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FilterTest {
    @Test
    void nearestRepeatsPixelsInBlocks() {
        double[] out = Filter.NEAREST.upscale(new double[] {1, 2, 3, 4}, 2, 2, 3);
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 6; x++) {
                assertEquals(1 + (y / 3) * 2 + x / 3, out[y * 6 + x]);
            }
        }
    }

    @Test
    void bilinearInterpolatesBetweenPixelCentres() {
        // Output centres of a 2x upscale sit at input positions -0.25, 0.25, 0.75, 1.25; the ends clamp.
        double[] row = Filter.BILINEAR.upscale(new double[] {0, 255}, 2, 1, 2);
        assertArrayEquals(new double[] {0, 63.75, 191.25, 255, 0, 63.75, 191.25, 255}, row, 1e-12);
        // Separable: a 2x2 image at 2x, the inner 2x2 block is the bilinear blend with weights 3/4, 1/4.
        double[] out = Filter.BILINEAR.upscale(new double[] {0, 16, 32, 48}, 2, 2, 2);
        assertEquals(0.75 * 0.75 * 0 + 0.75 * 0.25 * 16 + 0.25 * 0.75 * 32 + 0.25 * 0.25 * 48, out[4 + 1], 1e-12);
    }

    @Test
    void lanczosKeepsInputPixelsAtTheirCentresAndConstantsConstant() {
        Random r = new Random(5);
        double[] src = new double[5 * 4];
        for (int i = 0; i < src.length; i++) {
            src[i] = r.nextDouble() * 255;
        }
        double[] out = Filter.LANCZOS.upscale(src, 5, 4, 3);
        // With an odd scale, output pixel 3 i + 1 sits exactly on input pixel i, where sinc vanishes at the other taps.
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 5; x++) {
                assertEquals(src[y * 5 + x], out[(3 * y + 1) * 15 + 3 * x + 1], 1e-9);
            }
        }
        double[] flat = Filter.LANCZOS.upscale(new double[] {7, 7, 7, 7, 7, 7}, 3, 2, 4);
        for (double v : flat) {
            assertEquals(7, v, 1e-12);
        }
    }

    @Test
    void namesParse() {
        assertEquals(Filter.LANCZOS, Filter.parse("Lanczos"));
        assertEquals("bilinear", Filter.BILINEAR.id());
    }
}
