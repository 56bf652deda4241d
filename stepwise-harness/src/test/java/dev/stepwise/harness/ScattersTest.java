package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScattersTest {
    private static final List<Plan.SamplerSpec> SAMPLERS = List.of(Plan.SamplerSpec.of("euler"), Plan.SamplerSpec.of("heun"));

    private static CellResult result(Path report, int sampler, int steps, long seed, Tensor samples) throws Exception {
        Cell cell = new Cell(new Cell.Config(SAMPLERS.get(sampler), Plan.SchedulerSpec.of("karras"), steps, false, 1.0),
                steps, 0, seed);
        String id = cell.id("gmm:builtin", samples.dim(0));
        Files.createDirectories(report.resolve("samples"));
        Npy.write(samples, report.resolve("samples/" + id + ".npy"));
        return new CellResult(id, cell, steps, steps, steps, 0.1, 0.1, 0.2, Map.of(), null, "", "samples/" + id + ".npy", "");
    }

    private static Tensor points(int n) {
        float[] v = new float[2 * n];
        for (int i = 0; i < n; i++) {
            v[2 * i] = i;
            v[2 * i + 1] = -i;
        }
        return Tensor.wrap(v, n, 2);
    }

    @Test
    void oneScatterPerConfigAtTheLargestStepCountAndFirstSeed(@TempDir Path report) throws Exception {
        Plan plan = new Plan("gmm", "gmm:builtin", SAMPLERS, List.of(Plan.SchedulerSpec.of("karras")), List.of(4, 8),
                List.of(), List.of(1.0), List.of(Plan.PromptSpec.of("")), List.of(5L, 6L), 300, null, 4, 0, null, "test");
        List<CellResult> results = new ArrayList<>();
        for (int s = 0; s < 2; s++) {
            for (int steps : new int[] {4, 8}) {
                for (long seed : new long[] {5, 6}) {
                    results.add(result(report, s, steps, seed, points(300)));
                }
            }
        }
        List<Path> files = Scatters.write(plan, results, report);
        assertEquals(List.of(report.resolve("plots/scatter-p0-euler-karras-cfg1.png"),
                report.resolve("plots/scatter-p0-heun-karras-cfg1.png")), files);
        BufferedImage png = ImageIO.read(files.get(0).toFile());
        assertEquals(Scatters.SIZE * Charts.PNG_SCALE, png.getWidth());
        assertEquals(Scatters.SIZE * Charts.PNG_SCALE, png.getHeight());
    }

    @Test
    void imagesAreNotScattered(@TempDir Path report) throws Exception {
        Plan plan = new Plan("img", "fashion-eps", SAMPLERS, List.of(Plan.SchedulerSpec.of("karras")), List.of(4),
                List.of(), List.of(1.0), List.of(Plan.PromptSpec.of("")), List.of(5L), 1, null, 4, 0, null, "test");
        CellResult r = result(report, 0, 4, 5, Tensor.zeros(1, 1, 6, 6));
        assertEquals(List.of(), Scatters.write(plan, List.of(r), report));
        assertFalse(Files.exists(report.resolve("plots")));
    }

    @Test
    void atMostMaxPointsAndNoNonFiniteOnes(@TempDir Path dir) throws Exception {
        Npy.write(points(5000), dir.resolve("many.npy"));
        double[][] xy = Scatters.points(dir.resolve("many.npy"));
        assertEquals(Scatters.MAX_POINTS, xy[0].length);
        assertEquals(4095.0, xy[0][4095]);
        assertEquals(-4095.0, xy[1][4095]);
        Npy.write(Tensor.wrap(new float[] {1, 2, Float.NaN, 3, 4, Float.POSITIVE_INFINITY, 5, 6}, 4, 2), dir.resolve("nan.npy"));
        xy = Scatters.points(dir.resolve("nan.npy"));
        assertArrayEquals(new double[] {1, 5}, xy[0]);
        assertArrayEquals(new double[] {2, 6}, xy[1]);
        assertNull(Scatters.points(dir.resolve("absent.npy")));
    }

    @Test
    void rangeLeavesOutHalfAPercentAtEachEndAndPads() {
        double[] v = new double[1001];
        for (int i = 0; i <= 1000; i++) {
            v[i] = i / 10.0;
        }
        // Quantiles at rank floor(0.005 * 1000) = 5 and ceil(0.995 * 1000) = 995: 0.5 and 99.5; padding 0.1 * 99 = 9.9.
        assertArrayEquals(new double[] {0.5 - 9.9, 99.5 + 9.9}, Scatters.range(List.of(v)), 1e-9);
        assertArrayEquals(new double[] {2, 4}, Scatters.range(List.of(new double[] {3})), 1e-12);
    }
}
