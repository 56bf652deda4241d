package dev.stepwise.onnx.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GridWriterTest {
    @TempDir
    Path dir;

    @Test
    void cellsHoldTheirImagesAndLabelsAreDrawnBelow() throws IOException {
        int n = 5, w = 4, h = 3, scale = 4;
        float[] d = new float[n * w * h];
        float[] values = {-1, -0.5f, 0, 0.5f, 1};
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(d, i * w * h, (i + 1) * w * h, values[i]);
        }
        Tensor batch = Tensor.wrap(d, n, 1, h, w);
        List<String> labels = List.of("t-shirt", "bag", "coat", "sneaker", "a very long label that cannot fit");
        Path file = dir.resolve("grid.png");
        GridWriter.write(batch, labels, 3, scale, Filter.NEAREST, "grid\nSteps: 1", file);

        BufferedImage img = ImageIO.read(file.toFile());
        GridWriter.Layout l = GridWriter.layout(n, w, h, scale, 3, true);
        assertEquals(3, l.columns());
        assertEquals(2, l.rows());
        assertEquals(l.width(), img.getWidth());
        assertEquals(l.height(), img.getHeight());
        for (int i = 0; i < n; i++) {
            int want = PngWriter.gray(values[i]);
            for (int y = 0; y < h * scale; y++) {
                for (int x = 0; x < w * scale; x++) {
                    assertEquals(want, img.getRaster().getSample(l.x(i) + x, l.y(i) + y, 0), "cell " + i);
                }
            }
            // Some dark text pixels in the label strip under the cell.
            int dark = 0;
            for (int y = 0; y < l.labelHeight(); y++) {
                for (int x = 0; x < w * scale; x++) {
                    if (img.getRaster().getSample(l.x(i) + x, l.y(i) + h * scale + y, 0) < 128) {
                        dark++;
                    }
                }
            }
            assertTrue(dark > 5, "label of cell " + i + " has " + dark + " dark pixels");
        }
        // The empty sixth cell stays white.
        assertEquals(255, img.getRaster().getSample(l.x(5) + 1, l.y(5) + 1, 0));
        assertEquals("grid\nSteps: 1", PngWriterTest.textChunks(Files.readAllBytes(file)).get("parameters"));
    }

    @Test
    void fitKeepsTheLongestPrefixThatFitsWithAnEllipsis() {
        java.awt.FontMetrics fm = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics()
                .getFontMetrics(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 12));
        assertEquals("short", GridWriter.fit("short", fm, 1000));
        String label = "dpmpp_2m_sde_gpu / karras / 40 steps / cfg 7.5 / a long prompt";
        for (int width = 5; width < fm.stringWidth(label); width += 7) {
            String f = GridWriter.fit(label, fm, width);
            String prefix = f.substring(0, f.length() - 1);
            assertTrue(f.endsWith("\u2026") && label.startsWith(prefix), f);
            assertTrue(prefix.isEmpty() || fm.stringWidth(f) <= width, f + " is wider than " + width);
            // One more character would not fit.
            assertTrue(fm.stringWidth(label.substring(0, prefix.length() + 1) + "\u2026") > width, f + " could be longer");
        }
        String huge = "sneaker, ".repeat(120_000);   // a 1 MB prompt as a label
        String f = GridWriter.fit(huge, fm, 200);
        assertTrue(fm.stringWidth(f) <= 200 && f.length() > 10, f);
    }
}
