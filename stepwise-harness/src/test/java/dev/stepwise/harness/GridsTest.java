package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.image.Filter;
import dev.stepwise.onnx.image.PngWriter;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GridsTest {
    private static final List<Plan.SamplerSpec> SAMPLERS = List.of(Plan.SamplerSpec.of("euler"),
            new Plan.SamplerSpec("euler_ancestral", Map.of("eta", 0.5), "euler_ancestral eta=0.5"),
            Plan.SamplerSpec.of("heun"));

    private static Plan plan(List<Long> seeds, List<Integer> steps) {
        return new Plan("grid test", "fashion-eps", SAMPLERS, List.of(Plan.SchedulerSpec.of("karras")), steps,
                List.of(), List.of(3.0), List.of(new Plan.PromptSpec("sneaker", "blurry")), seeds, 1, null, 4, 0, null,
                "test");
    }

    /** A 6 x 6 image, different for each sampler, step count and seed; a batch of two rows (row 1 is noise). */
    private static Tensor image(int sampler, int steps, long seed) {
        float[] v = new float[2 * 36];
        for (int i = 0; i < 36; i++) {
            v[i] = -1f + ((i * 5 + sampler * 11 + steps * 3 + (int) seed * 7) % 30) / 15f;
            v[36 + i] = 0.9f;
        }
        return Tensor.wrap(v, 2, 1, 6, 6);
    }

    private static CellResult result(Path report, int sampler, int steps, long seed, String error) throws Exception {
        Cell cell = new Cell(new Cell.Config(SAMPLERS.get(sampler), Plan.SchedulerSpec.of("karras"), steps, false, 3.0),
                steps, 0, seed);
        String id = cell.id("fashion-eps", 1);
        String samples = "";
        if (error.isEmpty()) {
            samples = "samples/" + id + ".npy";
            Files.createDirectories(report.resolve("samples"));
            Npy.write(image(sampler, steps, seed), report.resolve(samples));
        }
        return new CellResult(id, cell, steps, steps, steps, 0.1, 0.1, 0.2, Map.of(), null,
                error.isEmpty() ? "images/" + id + ".png" : "", samples, error);
    }

    private static void assertTile(Raster grid, XyGrid.Layout l, int r, int c, Tensor expected) {
        Raster tile = PngWriter.image(expected, 0, 3, Filter.NEAREST).getRaster();
        assertEquals(l.tileWidth(), tile.getWidth());
        for (int y = 0; y < tile.getHeight(); y++) {
            for (int x = 0; x < tile.getWidth(); x++) {
                assertEquals(tile.getSample(x, y, 0), grid.getSample(l.x(c) + x, l.y(r) + y, 0),
                        "tile (" + r + ", " + c + ") pixel (" + x + ", " + y + ")");
            }
        }
    }

    private static int greyShare(Raster grid, XyGrid.Layout l, int r, int c) {
        int n = 0;
        for (int y = 0; y < l.tileHeight(); y++) {
            for (int x = 0; x < l.tileWidth(); x++) {
                if (grid.getSample(l.x(c) + x, l.y(r) + y, 0) == XyGrid.GREY) {
                    n++;
                }
            }
        }
        return 100 * n / (l.tileWidth() * l.tileHeight());
    }

    @Test
    void stepAndSeedGridsPlaceEachCellsFirstImage(@TempDir Path report) throws Exception {
        Plan plan = plan(List.of(7L, 8L), List.of(4, 8));
        List<CellResult> results = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            for (int steps : new int[] {4, 8}) {
                for (long seed : new long[] {7, 8}) {
                    if (s == 1 && steps == 8 && seed == 7) {
                        results.add(result(report, s, steps, seed, "sampler blew up"));
                    } else if (!(s == 2 && steps == 4 && seed == 7)) {
                        results.add(result(report, s, steps, seed, ""));
                    } // heun at 4 steps, seed 7 never finished: missing
                }
            }
        }
        List<Path> files = Grids.write(plan, results, report);
        assertEquals(List.of(report.resolve("grids/p0-karras-cfg3-steps.png"), report.resolve("grids/p0-karras-cfg3-seeds.png")),
                files);

        List<Grids.Sheet> sheets = Grids.sheets(plan, results, report);
        // Steps grid: rows = samplers, columns = 4 and 8 steps, seed 7 (the plan's first).
        XyGrid.Layout l = sheets.get(0).grid().layout();
        assertEquals(3, l.rows());
        assertEquals(2, l.columns());
        BufferedImage steps = ImageIO.read(files.get(0).toFile());
        assertEquals(l.width(), steps.getWidth());
        assertEquals(l.height(), steps.getHeight());
        Raster g = steps.getRaster();
        assertTile(g, l, 0, 0, image(0, 4, 7));
        assertTile(g, l, 0, 1, image(0, 8, 7));
        assertTile(g, l, 1, 0, image(1, 4, 7));
        assertTrue(greyShare(g, l, 1, 1) > 50, "failed cell is grey");
        assertTrue(greyShare(g, l, 2, 0) > 50, "missing cell is grey");
        assertTile(g, l, 2, 1, image(2, 8, 7));

        // Seeds grid: columns = seeds 7 and 8 at the largest step count, 8.
        l = sheets.get(1).grid().layout();
        Raster s = ImageIO.read(files.get(1).toFile()).getRaster();
        assertTile(s, l, 0, 0, image(0, 8, 7));
        assertTile(s, l, 0, 1, image(0, 8, 8));
        assertTrue(greyShare(s, l, 1, 0) > 50, "failed cell is grey");
        assertTile(s, l, 1, 1, image(1, 8, 8));
        assertTile(s, l, 2, 0, image(2, 8, 7));
        assertTile(s, l, 2, 1, image(2, 8, 8));

        String bytes = new String(Files.readAllBytes(files.get(0)), StandardCharsets.ISO_8859_1);
        assertTrue(bytes.contains("parameters"), "PNG has a parameters chunk");
        assertTrue(bytes.contains("sneaker\nNegative prompt: blurry\n"), bytes);
        assertTrue(bytes.contains("X Type: Steps, X Values: \"4, 8\""), "x axis described");
        assertTrue(bytes.contains("Y Values: \"euler, euler_ancestral eta=0.5, heun\""), "y axis described");
        assertTrue(new String(Files.readAllBytes(files.get(1)), StandardCharsets.ISO_8859_1)
                .contains("Steps: 8, X Type: Seed, X Values: \"7, 8\""), "seeds grid described");
    }

    @Test
    void oneSeedMakesNoSeedGridAndAnUnreadableFileSpoilsOnlyItsTile(@TempDir Path report) throws Exception {
        Plan plan = plan(List.of(1L), List.of(5));
        List<CellResult> results = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            results.add(result(report, s, 5, 1, ""));
        }
        Files.writeString(report.resolve(results.get(2).samples()), "not an npy file");
        List<Path> files = Grids.write(plan, results, report);
        assertEquals(List.of(report.resolve("grids/p0-karras-cfg3-steps.png")), files);
        XyGrid.Layout l = Grids.sheets(plan, results, report).get(0).grid().layout();
        Raster g = ImageIO.read(files.get(0).toFile()).getRaster();
        assertTile(g, l, 0, 0, image(0, 5, 1));
        assertTrue(greyShare(g, l, 2, 0) > 50, "unreadable cell is grey");
    }

    @Test
    void noGridsWithoutImages(@TempDir Path report) throws Exception {
        // An analytic model's cells have samples but no image.
        Plan plan = plan(List.of(1L), List.of(5));
        CellResult r = result(report, 0, 5, 1, "");
        CellResult analytic = new CellResult(r.id(), r.cell(), 5, 5, 5, 0.1, 0.1, 0.2, Map.of(), null, "", r.samples(), "");
        assertEquals(List.of(), Grids.write(plan, List.of(analytic), report));
        assertFalse(Files.exists(report.resolve("grids")));
    }

    @Test
    void fileNamesAreSafe() {
        assertEquals("karras_rho_7", Grids.safe("karras rho=7"));
        assertEquals("3.5", Grids.safe("3.5"));
        assertEquals("_", Grids.safe(""));
        assertEquals("a_b", Grids.safe("a/b"));
    }
}
