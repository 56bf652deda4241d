package dev.stepwise.onnx.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stepwise.core.tensor.Tensor;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class InitImageTest {
    private static final int RED = 0xff0000, BLUE = 0x0000ff;

    /** 20x10: the left half red, the right half blue. */
    private static BufferedImage halves() {
        BufferedImage img = new BufferedImage(20, 10, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 20; x++) {
                img.setRGB(x, y, x < 10 ? RED : BLUE);
            }
        }
        return img;
    }

    @Test
    void cropAndResizeKeepsTheCentreAsA1111() {
        // 20x10 into 10x10: the height already fits (src 20x10, no resampling), columns 5..14 kept
        BufferedImage out = InitImage.resize(halves(), 10, 10, InitImage.ResizeMode.CROP);
        assertEquals(10, out.getWidth());
        assertEquals(10, out.getHeight());
        for (int x = 0; x < 10; x++) {
            assertEquals(x < 5 ? RED : BLUE, out.getRGB(x, 3) & 0xffffff, "column " + x);
        }
    }

    @Test
    void justResizeStretches() {
        BufferedImage out = InitImage.resize(halves(), 10, 10, InitImage.ResizeMode.JUST);
        assertEquals(10, out.getWidth());
        assertEquals(RED, out.getRGB(0, 5) & 0xffffff);
        assertEquals(BLUE, out.getRGB(9, 5) & 0xffffff);
    }

    @Test
    void pixelsAreByteOver255TimesTwoMinusOne() {
        Tensor p = InitImage.pixels(halves());
        assertEquals(3, p.dim(0));
        assertEquals(1f, p.data()[0]);            // red channel of a red pixel
        assertEquals(-1f, p.data()[200]);         // green channel
        assertEquals(-1f, p.data()[19]);          // red channel of a blue pixel
    }

    @Test
    void unknownResizeModeIsOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InitImage.ResizeMode.parse("fill"));
        assertEquals("resize mode 'fill' is not known; use just (A1111's \"Just resize\") or crop (\"Crop and resize\")",
                e.getMessage());
    }
}
