package dev.stepwise.onnx.image;

import dev.stepwise.core.tensor.Tensor;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A batch of single-channel images as one PNG grid, each cell upscaled and labelled underneath (for
 * example with its prompt or seed). White background, black label text, {@link #PAD} pixels between cells.
 */
public final class GridWriter {
    /** Pixels of white around and between cells. */
    public static final int PAD = 2;

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private GridWriter() {
    }

    /** Layout of a grid, exposed so callers and tests can find a cell. */
    public record Layout(int columns, int rows, int cellWidth, int cellHeight, int labelHeight) {
        public int width() {
            return PAD + columns * (cellWidth + PAD);
        }

        public int height() {
            return PAD + rows * (cellHeight + labelHeight + PAD);
        }

        /** Top-left pixel of cell {@code i}'s image. */
        public int x(int i) {
            return PAD + (i % columns) * (cellWidth + PAD);
        }

        public int y(int i) {
            return PAD + (i / columns) * (cellHeight + labelHeight + PAD);
        }
    }

    /** The layout for {@code count} cells of w x h images at {@code scale}; columns 0 = a near-square grid. */
    public static Layout layout(int count, int w, int h, int scale, int columns, boolean labels) {
        if (count < 1) {
            throw new IllegalArgumentException("a grid needs at least one image");
        }
        int cols = columns > 0 ? Math.min(columns, count) : (int) Math.ceil(Math.sqrt(count));
        int rows = (count + cols - 1) / cols;
        int labelHeight = labels ? fontSize(w * scale) + 6 : 0;
        return new Layout(cols, rows, w * scale, h * scale, labelHeight);
    }

    private static int fontSize(int cellWidth) {
        return Math.max(9, Math.min(16, cellWidth / 8));
    }

    /**
     * Renders the grid. {@code labels} has one entry per batch row, or is null for no labels.
     */
    public static BufferedImage render(Tensor batch, List<String> labels, int columns, int scale, Filter filter) {
        int n = batch.batch();
        if (labels != null && labels.size() != n) {
            throw new IllegalArgumentException(n + " images need " + n + " labels, got " + labels.size());
        }
        int h = batch.dim(batch.rank() - 2), w = batch.dim(batch.rank() - 1);
        Layout l = layout(n, w, h, scale, columns, labels != null);
        BufferedImage grid = new BufferedImage(l.width(), l.height(), BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = grid.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, l.width(), l.height());
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            Font font = new Font(Font.SANS_SERIF, Font.PLAIN, fontSize(l.cellWidth()));
            g.setFont(font);
            FontMetrics fm = g.getFontMetrics();
            for (int i = 0; i < n; i++) {
                g.drawImage(PngWriter.image(batch, i, scale, filter), l.x(i), l.y(i), null);
                if (labels != null) {
                    String text = fit(labels.get(i), fm, l.cellWidth());
                    int tx = l.x(i) + Math.max(0, (l.cellWidth() - fm.stringWidth(text)) / 2);
                    int ty = l.y(i) + l.cellHeight() + 3 + fm.getAscent();
                    g.setClip(l.x(i), l.y(i) + l.cellHeight(), l.cellWidth(), l.labelHeight());
                    g.setColor(Color.BLACK);
                    g.drawString(text, tx, ty);
                    g.setClip(null);
                }
            }
        } finally {
            g.dispose();
        }
        return grid;
    }

    /** Shortens a label with an ellipsis until it fits the width. */
    public static String fit(String s, FontMetrics fm, int width) {
        if (fm.stringWidth(s) <= width) {
            return s;
        }
        // The longest prefix that fits with the ellipsis, by bisection: a label may be a 1 MB prompt, and cutting
        // one character at a time would measure it a million times.
        int lo = 0, hi = s.length();
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (fm.stringWidth(s.substring(0, mid) + "\u2026") <= width) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        if (lo > 0 && Character.isHighSurrogate(s.charAt(lo - 1))) {
            lo--;   // never split a character
        }
        return s.substring(0, lo) + "\u2026";
    }

    /** Renders and writes the grid atomically with an optional {@code parameters} text chunk. */
    public static void write(Tensor batch, List<String> labels, int columns, int scale, Filter filter,
                             String parameters, Path path) throws IOException {
        PngWriter.write(render(batch, labels, columns, scale, filter), parameters, path);
    }
}
