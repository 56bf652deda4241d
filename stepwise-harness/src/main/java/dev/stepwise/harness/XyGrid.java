package dev.stepwise.harness;

import dev.stepwise.onnx.image.GridWriter;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An X/Y plot as A1111 draws it: a table of images with a title block on top, one label per row on the left and
 * one per column above. A tile without an image (its cell failed or is missing) is drawn as a grey box with the
 * reason. Grayscale throughout, like the images it holds. Pure: labels and images in, an image out, with the
 * {@link Layout} that says where each tile went.
 */
public final class XyGrid {
    /** Pixels of white between tiles and around the table. */
    public static final int PAD = 4;
    /** Gray level of a tile without an image. */
    public static final int GREY = 160;
    /** Widest a row or column label may make its header; longer labels are shortened with an ellipsis. */
    static final int MAX_LABEL_WIDTH = 320;
    /** Widest a title line may make the grid. */
    static final int MAX_TITLE_WIDTH = 1200;
    /** Tile size when no tile has an image. */
    static final int EMPTY_TILE = 64;
    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font TITLE_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 13);

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** One tile: an image, or no image and the reason ("failed", "missing") drawn on a grey box. */
    public record Tile(BufferedImage image, String note) {
        public Tile {
            Objects.requireNonNull(note, "note");
        }

        public static Tile of(BufferedImage image) {
            return new Tile(Objects.requireNonNull(image, "image"), "");
        }

        public static Tile blank(String note) {
            return new Tile(null, note);
        }
    }

    /**
     * Where everything goes, in pixels.
     *
     * @param rows           table rows
     * @param columns        table columns
     * @param tileWidth      width of a tile's image
     * @param tileHeight     height of a tile's image
     * @param columnWidth    width of a column: the tile or its label, whichever is wider
     * @param rowHeaderWidth width of the row-label band on the left
     * @param titleHeight    height of the title block
     * @param headerHeight   height of the column-label band under the title
     * @param titleWidth     width the title lines need
     */
    public record Layout(int rows, int columns, int tileWidth, int tileHeight, int columnWidth, int rowHeaderWidth,
                         int titleHeight, int headerHeight, int titleWidth) {
        public int width() {
            return Math.max(rowHeaderWidth + PAD + columns * (columnWidth + PAD), titleWidth + 2 * PAD);
        }

        public int height() {
            return top() + rows * (tileHeight + PAD);
        }

        /** Top of the first row of tiles. */
        public int top() {
            return titleHeight + headerHeight + PAD;
        }

        /** Left pixel of column {@code c}'s tile. */
        public int x(int c) {
            return rowHeaderWidth + PAD + c * (columnWidth + PAD) + (columnWidth - tileWidth) / 2;
        }

        /** Top pixel of row {@code r}'s tile. */
        public int y(int r) {
            return top() + r * (tileHeight + PAD);
        }
    }

    private final List<String> title;
    private final List<String> rowLabels;
    private final List<String> columnLabels;
    private final List<List<Tile>> tiles;
    private final Layout layout;

    /**
     * @param title        title lines, top to bottom
     * @param rowLabels    one label per row
     * @param columnLabels one label per column
     * @param tiles        tiles.get(r).get(c): rows x columns
     */
    public XyGrid(List<String> title, List<String> rowLabels, List<String> columnLabels, List<List<Tile>> tiles) {
        this.title = List.copyOf(title);
        this.rowLabels = List.copyOf(rowLabels);
        this.columnLabels = List.copyOf(columnLabels);
        List<List<Tile>> copy = new ArrayList<>();
        for (List<Tile> row : tiles) {
            copy.add(List.copyOf(row));
        }
        this.tiles = List.copyOf(copy);
        if (rowLabels.isEmpty() || columnLabels.isEmpty()) {
            throw new IllegalArgumentException("a grid needs at least one row and one column, got "
                    + rowLabels.size() + " x " + columnLabels.size());
        }
        if (this.tiles.size() != rowLabels.size()) {
            throw new IllegalArgumentException(rowLabels.size() + " row labels but " + this.tiles.size() + " rows of tiles");
        }
        for (int r = 0; r < this.tiles.size(); r++) {
            if (this.tiles.get(r).size() != columnLabels.size()) {
                throw new IllegalArgumentException("row " + r + " has " + this.tiles.get(r).size() + " tiles, expected "
                        + columnLabels.size() + " (one per column label)");
            }
        }
        this.layout = measure();
    }

    public Layout layout() {
        return layout;
    }

    private Layout measure() {
        int tw = 0, th = 0;
        for (List<Tile> row : tiles) {
            for (Tile t : row) {
                if (t.image() != null) {
                    tw = Math.max(tw, t.image().getWidth());
                    th = Math.max(th, t.image().getHeight());
                }
            }
        }
        if (tw == 0) {
            tw = th = EMPTY_TILE;
        }
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = scratch.createGraphics();
        try {
            FontMetrics label = g.getFontMetrics(LABEL_FONT), head = g.getFontMetrics(TITLE_FONT);
            int rowHeader = 0;
            for (String s : rowLabels) {
                rowHeader = Math.max(rowHeader, label.stringWidth(s));
            }
            rowHeader = Math.min(rowHeader, MAX_LABEL_WIDTH) + 2 * PAD;
            int column = tw;
            for (String s : columnLabels) {
                column = Math.max(column, Math.min(label.stringWidth(s), MAX_LABEL_WIDTH) + PAD);
            }
            int titleWidth = 0;
            for (String s : title) {
                titleWidth = Math.max(titleWidth, Math.min(head.stringWidth(s), MAX_TITLE_WIDTH));
            }
            int titleHeight = title.isEmpty() ? 0 : PAD + title.size() * head.getHeight() + PAD;
            int headerHeight = label.getHeight() + PAD;
            return new Layout(rowLabels.size(), columnLabels.size(), tw, th, column, rowHeader, titleHeight,
                    headerHeight, titleWidth);
        } finally {
            g.dispose();
        }
    }

    /** Draws the grid: white background, black text, tiles at {@link #layout()}'s positions. */
    public BufferedImage render() {
        Layout l = layout;
        BufferedImage grid = new BufferedImage(l.width(), l.height(), BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = grid.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, l.width(), l.height());
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.BLACK);
            g.setFont(TITLE_FONT);
            FontMetrics fm = g.getFontMetrics();
            for (int i = 0; i < title.size(); i++) {
                g.drawString(GridWriter.fit(title.get(i), fm, MAX_TITLE_WIDTH), PAD, PAD + i * fm.getHeight() + fm.getAscent());
            }
            g.setFont(LABEL_FONT);
            fm = g.getFontMetrics();
            for (int c = 0; c < l.columns(); c++) {
                String s = GridWriter.fit(columnLabels.get(c), fm, l.columnWidth());
                int left = l.rowHeaderWidth() + PAD + c * (l.columnWidth() + PAD);
                g.drawString(s, left + (l.columnWidth() - fm.stringWidth(s)) / 2, l.titleHeight() + fm.getAscent());
            }
            for (int r = 0; r < l.rows(); r++) {
                String s = GridWriter.fit(rowLabels.get(r), fm, l.rowHeaderWidth() - 2 * PAD);
                // Right-aligned next to its row, vertically centred on the tile.
                int baseline = l.y(r) + (l.tileHeight() - fm.getHeight()) / 2 + fm.getAscent();
                g.drawString(s, l.rowHeaderWidth() - PAD - fm.stringWidth(s), baseline);
                for (int c = 0; c < l.columns(); c++) {
                    drawTile(g, grid, tiles.get(r).get(c), l.x(c), l.y(r), l.tileWidth(), l.tileHeight(), fm);
                }
            }
        } finally {
            g.dispose();
        }
        return grid;
    }

    private static void drawTile(Graphics2D g, BufferedImage grid, Tile t, int x, int y, int w, int h, FontMetrics fm) {
        if (t.image() != null) {
            if (t.image().getType() == BufferedImage.TYPE_BYTE_GRAY) {
                // Copy the gray levels as they are: drawImage may convert through a colour space.
                grid.getRaster().setRect(x, y, t.image().getRaster());
            } else {
                g.drawImage(t.image(), x, y, null);
            }
            return;
        }
        g.setColor(new Color(GREY, GREY, GREY));
        g.fillRect(x, y, w, h);
        g.setColor(Color.BLACK);
        String s = GridWriter.fit(t.note(), fm, w - 2);
        g.drawString(s, x + (w - fm.stringWidth(s)) / 2, y + (h - fm.getHeight()) / 2 + fm.getAscent());
    }
}
