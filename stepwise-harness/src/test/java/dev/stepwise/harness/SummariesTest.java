package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.metrics.FeatureStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummariesTest {
    @TempDir
    Path dir;

    @Test
    void timingMatchesHandComputation() {
        // 1..10 shuffled: mean 5.5; without the 4 slowest (7..10) the mean of 1..6 is 3.5; median (5+6)/2;
        // sample variance of 1..10 is n(n+1)/12 = 110/12; p10 at rank 0.9 -> 1.9, p90 at rank 8.1 -> 9.1.
        Summary.Timing t = Summaries.timing(new double[] {5, 1, 3, 2, 4, 10, 6, 7, 9, 8}, 4);
        assertEquals(10, t.count());
        assertEquals(5.5, t.mean(), 1e-12);
        assertEquals(3.5, t.normalized(), 1e-12);
        assertEquals(4, t.dropped());
        assertEquals(5.5, t.median(), 1e-12);
        assertEquals(Math.sqrt(110.0 / 12), t.std(), 1e-12);
        assertEquals(1.9, t.p10(), 1e-12);
        assertEquals(9.1, t.p90(), 1e-12);
    }

    @Test
    void normalizedKeepsAtLeastOneImage() {
        Summary.Timing t = Summaries.timing(new double[] {3, 1, 2}, 4);
        assertEquals(2, t.dropped());
        assertEquals(1, t.normalized(), 1e-12);
        assertEquals(2, t.mean(), 1e-12);
        assertEquals(1, t.std(), 1e-12);
        assertEquals(1.2, t.p10(), 1e-12); // rank 0.2 between 1 and 2

        Summary.Timing one = Summaries.timing(new double[] {0.7}, 4);
        assertEquals(0, one.dropped());
        assertEquals(0.7, one.normalized(), 1e-12);
        assertEquals(0, one.std());

        Summary.Timing none = Summaries.timing(new double[0], 4);
        assertEquals(0, none.count());
        assertTrue(Double.isNaN(none.mean()) && Double.isNaN(none.normalized()) && Double.isNaN(none.p90()));
    }

    @Test
    void rowAggregatesFinishedCellsAndCountsFailedOnes() {
        Plan plan = ReportFixtures.plan(List.of("euler"), List.of(20), List.of("sneaker"), 11, 1);
        List<Cell> cells = ReportFixtures.cells(plan);
        List<CellResult> results = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            double s = i + 1;
            results.add(ReportFixtures.ok(cells.get(i), s, 0.8 * s,
                    Map.of(CellResult.Metrics.ADHERENCE, i < 7 ? 1.0 : 0.0), null));
        }
        results.add(ReportFixtures.failed(cells.get(10), "diverged"));

        Summary s = Summaries.of(plan, cells, results, dir, null, null);
        assertEquals(1, s.rows().size());
        Summary.Row r = s.rows().get(0);
        assertEquals(11, r.cells());
        assertEquals(1, r.failed());
        assertEquals(10, r.images());
        assertEquals(20, r.steps());
        assertEquals(20, r.nfe(), 1e-12);
        assertEquals(5.5, r.time().mean(), 1e-12);
        assertEquals(3.5, r.time().normalized(), 1e-12);
        assertEquals(55.0 / 200, r.secondsPerCall(), 1e-12); // 55 s over 10 cells x 20 calls
        assertEquals(0.8, r.modelShare(), 1e-12);
        assertEquals(0.7, r.adherence(), 1e-12);
        assertTrue(Double.isNaN(r.frechet()), "no features, no FD");
        assertTrue(Double.isNaN(r.slicedW1()) && Double.isNaN(r.referenceDistance()));
        assertTrue(Double.isNaN(r.change()), "first step count has no change");
        assertNull(r.human());
        assertEquals("one step count: not measured", s.convergence().get(0).verdict());
        assertFalse(s.convergence().get(0).converges());
        assertEquals("test report", s.title());
        assertEquals("fashion-eps", s.model());
    }

    @Test
    void perImageTimeDividesByBatch() {
        Plan plan = ReportFixtures.plan(List.of("euler"), List.of(20), List.of("0"), 2, 4);
        List<Cell> cells = ReportFixtures.cells(plan);
        List<CellResult> results = List.of(ReportFixtures.ok(cells.get(0), 2, 1, Map.of(), null),
                ReportFixtures.ok(cells.get(1), 4, 2, Map.of(), null));
        Summary.Row r = Summaries.of(plan, cells, results, dir, null, null).rows().get(0);
        assertEquals(8, r.images());
        assertEquals(0.75, r.time().mean(), 1e-12); // (2/4 + 4/4) / 2
        assertEquals(0.5, r.time().normalized(), 1e-12); // one of two dropped
    }

    @Test
    void frechetDistanceOfTheRealStatisticsThemselvesIsZeroAndAShiftAddsItsSquaredLength() {
        Plan plan = ReportFixtures.plan(List.of("euler"), List.of(20), List.of("sneaker"), 3, 2);
        List<Cell> cells = ReportFixtures.cells(plan);
        double[][][] features = {
            {{0.1, 1.0, -0.3}, {0.7, 0.2, 0.5}},
            {{-0.4, 0.9, 1.1}, {0.3, -0.6, 0.2}},
            {{1.2, 0.4, -0.8}, {0.0, 0.5, 0.9}}};
        List<CellResult> results = new ArrayList<>();
        List<double[]> all = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            results.add(ReportFixtures.ok(cells.get(i), 1, 1, Map.of(), features[i]));
            all.addAll(List.of(features[i]));
        }
        FeatureStats real = FeatureStats.of(all.toArray(double[][]::new));
        assertEquals(0, Summaries.of(plan, cells, results, dir, real, null).rows().get(0).frechet(), 1e-9);

        // Same covariance, mean moved by (1, 2, 2): FD = |d|^2 = 9.
        double[] mean = real.mean();
        mean[0] += 1;
        mean[1] += 2;
        mean[2] += 2;
        FeatureStats shifted = new FeatureStats(mean, real.cov());
        assertEquals(9, Summaries.of(plan, cells, results, dir, shifted, null).rows().get(0).frechet(), 1e-9);
    }

    @Test
    void frechetDistanceIsNotAvailableWithTheReasonForTooFewImagesOrNonFiniteFeatures() {
        // Real statistics of rank 3: FD needs 4 images. euler has 6, heun 3 (three cells failed), dpmpp_2m a
        // NaN feature; the report is made all the same.
        Plan plan = ReportFixtures.plan(List.of("euler", "heun", "dpmpp_2m"), List.of(20), List.of("sneaker"), 6, 1);
        List<Cell> cells = ReportFixtures.cells(plan);
        java.util.Random rnd = new java.util.Random(3);
        List<CellResult> results = new ArrayList<>();
        for (int i = 0; i < cells.size(); i++) {
            if (i >= 6 && i < 9) {
                results.add(ReportFixtures.failed(cells.get(i), "diverged"));
                continue;
            }
            double[] f = {rnd.nextGaussian(), rnd.nextGaussian(), rnd.nextGaussian()};
            if (i == 14) {
                f[1] = Double.NaN;
            }
            results.add(ReportFixtures.ok(cells.get(i), 1, 1, Map.of(), new double[][] {f}));
        }
        FeatureStats real = new FeatureStats(new double[3], new double[][] {{1, 0, 0}, {0, 2, 0}, {0, 0, 3}});
        List<Summary.Row> rows = Summaries.of(plan, cells, results, dir, real, null).rows();
        assertTrue(Double.isFinite(rows.get(0).frechet()) && rows.get(0).frechet() > 0, "6 images: " + rows.get(0));
        assertNull(rows.get(0).frechetUnavailable());
        assertTrue(Double.isNaN(rows.get(1).frechet()));
        assertEquals("only 3 images: FD needs at least 4 here, one more than the 3 directions the real images' features"
                + " vary in (with fewer, FD measures the image count, not the images)", rows.get(1).frechetUnavailable());
        assertTrue(Double.isNaN(rows.get(2).frechet()));
        assertEquals("1 of 6 images have non-finite classifier features", rows.get(2).frechetUnavailable());

        // Without real statistics (no classifier, or a mixture) there is no FD and nothing to explain.
        Summary.Row none = Summaries.of(plan, cells, results, dir, null, null).rows().get(1);
        assertTrue(Double.isNaN(none.frechet()));
        assertNull(none.frechetUnavailable());
    }

    @Test
    void changeAndConvergenceFromSamplesOnDisk() throws IOException {
        // euler's samples approach x* with error C/n^2 (n = steps = NFE here), so the change between step counts
        // n/2 and n is C (4 - 1) / n^2 times the RMS of the error direction v: slope -2 in log-log.
        // euler_ancestral jumps by +-v at each step count: constant change 2 rms(v), slope 0.
        Plan plan = ReportFixtures.plan(List.of("euler", "euler_ancestral"), List.of(10, 20, 40), List.of("0", "1"), 2, 2);
        List<Cell> cells = ReportFixtures.cells(plan);
        Files.createDirectories(dir.resolve("samples"));
        List<CellResult> results = new ArrayList<>();
        double c = 3.0;
        for (Cell cell : cells) {
            CellResult r = ReportFixtures.ok(cell, 1, 1, Map.of(), null);
            int k = cell.prompt() + 1; // v = k * (1..6), rms(v) = k sqrt(91/6)
            int axisIndex = plan.steps().indexOf(cell.steps());
            float[] x = new float[6];
            for (int i = 0; i < 6; i++) {
                double exact = 0.5 + 0.1 * i - 0.01 * cell.seed() % 7;
                double v = k * (i + 1);
                x[i] = (float) (cell.config().sampler().name().equals("euler")
                        ? exact + c / ((double) cell.steps() * cell.steps()) * v
                        : exact + (axisIndex % 2 == 0 ? 1 : -1) * 0.01 * v);
            }
            Npy.write(Tensor.wrap(x, 2, 3), dir.resolve(r.samples()));
            results.add(r);
        }
        Summary s = Summaries.of(plan, cells, results, dir, null, null);
        double rmsUnit = Math.sqrt(91.0 / 6) * 1.5; // mean of k over prompts 0 and 1
        List<Summary.Row> euler = s.rows().subList(0, 3);
        assertTrue(Double.isNaN(euler.get(0).change()));
        assertEquals(c * (1 / 100.0 - 1 / 400.0) * rmsUnit, euler.get(1).change(), 1e-4 * euler.get(1).change());
        assertEquals(c * (1 / 400.0 - 1 / 1600.0) * rmsUnit, euler.get(2).change(), 1e-3 * euler.get(2).change());
        List<Summary.Row> ancestral = s.rows().subList(3, 6);
        assertEquals(0.02 * rmsUnit, ancestral.get(1).change(), 1e-5);
        assertEquals(0.02 * rmsUnit, ancestral.get(2).change(), 1e-5);

        assertEquals(2, s.convergence().size());
        Summary.Convergence e = s.convergence().get(0);
        assertEquals("euler", e.sampler());
        assertEquals(-2, e.slope(), 1e-3);
        assertTrue(e.converges());
        assertEquals("converges (change ~ NFE^-2.0)", e.verdict());
        Summary.Convergence a = s.convergence().get(1);
        assertEquals(0, a.slope(), 1e-3);
        assertFalse(a.converges());
        assertTrue(a.verdict().startsWith("keeps changing (change ~ NFE^"), a.verdict());
    }

    @Test
    void twoStepCountsGiveOneChangeAndNoSlope() throws IOException {
        Plan plan = ReportFixtures.plan(List.of("euler"), List.of(10, 20), List.of("0"), 1, 1);
        List<Cell> cells = ReportFixtures.cells(plan);
        Files.createDirectories(dir.resolve("samples"));
        List<CellResult> results = new ArrayList<>();
        for (Cell cell : cells) {
            CellResult r = ReportFixtures.ok(cell, 1, 1, Map.of(), null);
            Npy.write(Tensor.wrap(new float[] {cell.steps() == 10 ? 1f : 4f}, 1, 1), dir.resolve(r.samples()));
            results.add(r);
        }
        Summary s = Summaries.of(plan, cells, results, dir, null, null);
        assertEquals(3, s.rows().get(1).change(), 1e-6);
        assertTrue(Double.isNaN(s.convergence().get(0).slope()));
        assertTrue(s.convergence().get(0).verdict().contains("not measured"), s.convergence().get(0).verdict());
    }
}
