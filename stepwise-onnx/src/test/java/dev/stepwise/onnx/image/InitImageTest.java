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

    /** Pillow's convert("L") gives 76, 150, 29 for pure red, green, blue and keeps a gray value; [-1, 1] as v / 127.5 - 1. */
    @Test
    void grayIsPillowsLumaInTheModelsRange() {
        BufferedImage img = new BufferedImage(4, 1, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, 0xff0000);
        img.setRGB(1, 0, 0x00ff00);
        img.setRGB(2, 0, 0x0000ff);
        img.setRGB(3, 0, 0x808080);
        Tensor t = InitImage.gray(img, dev.stepwise.onnx.ModelConfig.PixelRange.SIGNED);
        assertEquals(java.util.List.of(1, 1, 4), java.util.Arrays.stream(t.shape()).boxed().toList());
        int[] luma = {76, 150, 29, 128};
        for (int i = 0; i < 4; i++) {
            assertEquals(luma[i] / 127.5f - 1f, t.data()[i], "pixel " + i);
        }
    }
}
