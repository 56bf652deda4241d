package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.image.Filter;
import dev.stepwise.onnx.image.PngWriter;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class XyGridTest {

    /** A 5 x 4 image whose values differ per pixel and per (r, c), so a misplaced tile cannot match. */
    static Tensor pattern(int r, int c) {
        float[] v = new float[5 * 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = -1f + ((i * 7 + r * 31 + c * 13) % 40) / 20f;
        }
        return Tensor.wrap(v, 1, 1, 4, 5);
    }

    private static XyGrid grid(int rows, int cols, int failedRow, int failedCol) {
        List<List<XyGrid.Tile>> tiles = new ArrayList<>();
        List<String> rowLabels = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            rowLabels.add("sampler_" + r);
            List<XyGrid.Tile> row = new ArrayList<>();
            for (int c = 0; c < cols; c++) {
                row.add(r == failedRow && c == failedCol ? XyGrid.Tile.blank("failed")
                        : XyGrid.Tile.of(PngWriter.image(pattern(r, c), 0, 3, Filter.NEAREST)));
            }
            tiles.add(row);
        }
        List<String> colLabels = new ArrayList<>();
        for (int c = 0; c < cols; c++) {
            colLabels.add((10 * (c + 1)) + " steps");
        }
        return new XyGrid(List.of("plan (model)", "prompt: sneaker"), rowLabels, colLabels, tiles);
    }

    @Test
    void eachTileIsItsImageAtTheLayoutsPosition() {
        XyGrid g = grid(3, 2, -1, -1);
        XyGrid.Layout l = g.layout();
        BufferedImage img = g.render();
        assertEquals(l.width(), img.getWidth());
        assertEquals(l.height(), img.getHeight());
        assertEquals(15, l.tileWidth());
        assertEquals(12, l.tileHeight());
        Raster grid = img.getRaster();
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 2; c++) {
                Raster tile = PngWriter.image(pattern(r, c), 0, 3, Filter.NEAREST).getRaster();
                for (int y = 0; y < 12; y++) {
                    for (int x = 0; x < 15; x++) {
                        assertEquals(tile.getSample(x, y, 0), grid.getSample(l.x(c) + x, l.y(r) + y, 0),
                                "tile (" + r + ", " + c + ") pixel (" + x + ", " + y + ")");
                    }
                }
            }
        }
    }

    @Test
    void tilesDoNotOverlapAndStayInside() {
        XyGrid.Layout l = grid(4, 3, -1, -1).layout();
        for (int c = 0; c + 1 < l.columns(); c++) {
            assertTrue(l.x(c) + l.tileWidth() < l.x(c + 1), "columns " + c + " and " + (c + 1));
        }
        for (int r = 0; r + 1 < l.rows(); r++) {
            assertTrue(l.y(r) + l.tileHeight() < l.y(r + 1), "rows " + r + " and " + (r + 1));
        }
        assertTrue(l.x(0) >= l.rowHeaderWidth(), "tiles right of the row labels");
        assertTrue(l.y(0) >= l.titleHeight() + l.headerHeight(), "tiles under the title and column labels");
        assertTrue(l.x(l.columns() - 1) + l.tileWidth() <= l.width());
        assertTrue(l.y(l.rows() - 1) + l.tileHeight() <= l.height());
    }

    private static int dark(Raster r, int x0, int y0, int x1, int y1) {
        int n = 0;
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                if (r.getSample(x, y, 0) < 128) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void everyRowAndColumnHasItsLabelAndTheTitleIsDrawn() {
        XyGrid g = grid(3, 2, -1, -1);
        XyGrid.Layout l = g.layout();
        Raster r = g.render().getRaster();
        for (int row = 0; row < 3; row++) {
            assertTrue(dark(r, 0, l.y(row), l.rowHeaderWidth(), l.y(row) + l.tileHeight()) > 5, "row label " + row);
        }
        for (int c = 0; c < 2; c++) {
            int left = l.x(c) - (l.columnWidth() - l.tileWidth()) / 2;
            assertTrue(dark(r, left, l.titleHeight(), left + l.columnWidth(), l.titleHeight() + l.headerHeight()) > 5,
                    "column label " + c);
        }
        assertTrue(dark(r, 0, 0, l.width(), l.titleHeight()) > 20, "title");
        // The corner left of the column labels and above the row labels stays blank.
        assertEquals(0, dark(r, 0, l.titleHeight(), l.rowHeaderWidth(), l.y(0)));
    }

    @Test
    void aFailedTileIsAGreyBoxWithItsReason() {
        XyGrid g = grid(2, 2, 1, 0);
        XyGrid.Layout l = g.layout();
        Raster r = g.render().getRaster();
        int grey = 0, text = 0, other = 0;
        for (int y = 0; y < l.tileHeight(); y++) {
            for (int x = 0; x < l.tileWidth(); x++) {
                int v = r.getSample(l.x(0) + x, l.y(1) + y, 0);
                if (v == XyGrid.GREY) {
                    grey++;
                } else if (v < XyGrid.GREY) {
                    text++;
                } else {
                    other++;
                }
            }
        }
        assertTrue(grey > l.tileWidth() * l.tileHeight() / 2, "mostly grey: " + grey);
        assertTrue(text > 0, "the note is drawn");
        assertEquals(0, other, "nothing lighter than the box inside it");
    }

    @Test
    void aGridOfOnlyFailedTilesStillHasTiles() {
        XyGrid g = new XyGrid(List.of(), List.of("a"), List.of("1"), List.of(List.of(XyGrid.Tile.blank("missing"))));
        assertEquals(XyGrid.EMPTY_TILE, g.layout().tileWidth());
        assertEquals(XyGrid.GREY, g.render().getRaster().getSample(g.layout().x(0), g.layout().y(0), 0));
    }

    @Test
    void aTableThatDoesNotMatchItsLabelsIsRefused() {
        XyGrid.Tile t = XyGrid.Tile.blank("missing");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new XyGrid(List.of(), List.of("a", "b"), List.of("1"), List.of(List.of(t))));
        assertTrue(e.getMessage().contains("2 row labels but 1 rows"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new XyGrid(List.of(), List.of("a"), List.of("1", "2"), List.of(List.of(t))));
        assertTrue(e.getMessage().contains("row 0 has 1 tiles, expected 2"), e.getMessage());
    }
}
