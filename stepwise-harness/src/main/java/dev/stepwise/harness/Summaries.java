package dev.stepwise.harness;

import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.metrics.FeatureStats;
import dev.stepwise.onnx.metrics.FrechetDistance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Makes the report's figures ({@link Summary}) from the cell results alone: per configuration the timing,
 * NFE and quality aggregates, the change from the previous step-axis value, and per sampler, scheduler and
 * cfg whether that change shrinks as NFE grows.
 */
public final class Summaries {
    /** Bootstrap resamples behind each FD's standard error (about 1 s per configuration of 1,000 images). */
    static final int FD_RESAMPLES = 200;

    private Summaries() {
    }

    /**
     * The summary of a run.
     *
     * @param plan      the plan
     * @param cells     every cell of the plan (finished or not)
     * @param results   the finished cells' results (cells that are not in {@code cells} are ignored)
     * @param reportDir the report folder the results' sample paths are relative to
     * @param realStats classifier features of real images, for the Fréchet distance, or null
     * @param scores    human scores from a filled-in sheet, or null
     */
    public static Summary of(Plan plan, List<Cell> cells, List<CellResult> results, Path reportDir,
                             FeatureStats realStats, HumanScores scores) {
        Map<Cell, CellResult> byCell = new HashMap<>();
        for (CellResult r : results) {
            byCell.putIfAbsent(r.cell(), r);
        }
        List<Cell> ordered = new ArrayList<>(cells);
        ordered.sort(PlanOrder.cells(plan));
        Map<Cell.Config, List<Cell>> groups = new LinkedHashMap<>();
        for (Cell c : ordered) {
            groups.computeIfAbsent(c.config(), k -> new ArrayList<>()).add(c);
        }

        // One eigendecomposition of the real-image covariance for all the configurations' FD figures.
        FrechetDistance.Reference reference = realStats == null ? null : FrechetDistance.reference(realStats);
        List<Summary.Row> rows = new ArrayList<>();
        for (Map.Entry<Cell.Config, List<Cell>> g : groups.entrySet()) {
            Cell.Config previous = previousOnAxis(g.getKey(), groups.keySet());
            double change = previous == null ? Double.NaN
                    : change(g.getValue(), groups.get(previous), byCell, reportDir);
            rows.add(row(plan, g.getKey(), g.getValue(), byCell, reference, scores, change));
        }
        return new Summary(plan.name(), plan.model(), plan.dropSlowest(), rows, convergence(rows));
    }

    private static Summary.Row row(Plan plan, Cell.Config config, List<Cell> cells, Map<Cell, CellResult> byCell,
                                   FrechetDistance.Reference reference, HumanScores scores, double change) {
        int batch = Math.max(1, plan.batch());
        List<CellResult> ok = new ArrayList<>();
        int failed = 0;
        for (Cell c : cells) {
            CellResult r = byCell.get(c);
            if (r == null) {
                continue;
            }
            if (r.failed()) {
                failed++;
            } else {
                ok.add(r);
            }
        }
        double[] perImage = new double[ok.size()];
        double nfe = 0;
        double seconds = 0;
        double networkSeconds = 0;
        List<double[]> features = new ArrayList<>();
        for (int i = 0; i < ok.size(); i++) {
            CellResult r = ok.get(i);
            perImage[i] = r.seconds() / batch;
            nfe += r.nfe();
            seconds += r.seconds();
            networkSeconds += r.networkSeconds();
            if (r.features() != null) {
                features.addAll(Arrays.asList(r.features()));
            }
        }
        // Too few images or non-finite features give "not available" and the reason, never an exception.
        double[][] featureRows = features.toArray(double[][]::new);
        FrechetDistance.Figure frechet = reference == null ? null : reference.figure(featureRows);
        // The seed depends only on the configuration, so a rebuilt report gives the same interval.
        double frechetError = frechet == null ? Double.NaN
                : FrechetDistance.bootstrapError(reference, featureRows, FD_RESAMPLES, config.label().hashCode());
        return new Summary.Row(config, cells.size(), failed, ok.size() * batch, cells.get(0).steps(),
                ok.isEmpty() ? Double.NaN : nfe / ok.size(), timing(perImage, plan.dropSlowest()),
                nfe > 0 ? seconds / nfe : Double.NaN, seconds > 0 ? networkSeconds / seconds : Double.NaN,
                mean(ok, CellResult.Metrics.ADHERENCE), frechet == null ? Double.NaN : frechet.value(),
                frechet == null ? null : frechet.unavailable(), mean(ok, CellResult.Metrics.SLICED_W1),
                mean(ok, CellResult.Metrics.NLL), mean(ok, CellResult.Metrics.REFERENCE_DISTANCE), change,
                scores == null ? null : scores.of(config), frechetError);
    }

    /** Mean of a metric over the cells that have it; NaN when none has. */
    private static double mean(List<CellResult> ok, String metric) {
        double sum = 0;
        int n = 0;
        for (CellResult r : ok) {
            double v = r.metric(metric);
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /**
     * Wall-time statistics of per-image times, as the community experiment reported them plus median and
     * spread. An empty array gives count 0 and NaN figures.
     *
     * @param seconds     per-image times
     * @param dropSlowest how many of the slowest the normalized mean leaves out (at most count - 1 are)
     */
    public static Summary.Timing timing(double[] seconds, int dropSlowest) {
        int n = seconds.length;
        if (n == 0) {
            double nan = Double.NaN;
            return new Summary.Timing(0, nan, nan, 0, nan, nan, nan, nan);
        }
        double[] s = seconds.clone();
        Arrays.sort(s);
        int dropped = Math.max(0, Math.min(dropSlowest, n - 1));
        double sum = 0;
        for (double v : s) {
            sum += v;
        }
        double mean = sum / n;
        double kept = 0;
        for (int i = 0; i < n - dropped; i++) {
            kept += s[i];
        }
        double ss = 0;
        for (double v : s) {
            ss += (v - mean) * (v - mean);
        }
        double std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
        return new Summary.Timing(n, mean, kept / (n - dropped), dropped, quantile(s, 0.5), std, quantile(s, 0.1),
                quantile(s, 0.9));
    }

    /** Quantile of sorted values by linear interpolation between closest ranks (numpy's default). */
    private static double quantile(double[] sorted, double p) {
        double pos = p * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /** The configuration with the same sampler, scheduler and cfg at the next smaller step-axis value, or null. */
    private static Cell.Config previousOnAxis(Cell.Config config, Iterable<Cell.Config> all) {
        Cell.Config best = null;
        for (Cell.Config c : all) {
            if (sameLine(c, config) && c.stepAxis() < config.stepAxis()
                    && (best == null || c.stepAxis() > best.stepAxis())) {
                best = c;
            }
        }
        return best;
    }

    private static boolean sameLine(Cell.Config a, Cell.Config b) {
        return a.sampler().equals(b.sampler()) && a.scheduler().equals(b.scheduler()) && a.cfg() == b.cfg()
                && a.byNfe() == b.byNfe();
    }

    /**
     * Mean over (prompt, seed) of the RMS distance per value between the samples of two configurations; NaN
     * when no pair of finished cells with samples exists.
     */
    private static double change(List<Cell> now, List<Cell> before, Map<Cell, CellResult> byCell, Path reportDir) {
        Map<String, CellResult> previous = new HashMap<>();
        for (Cell c : before) {
            CellResult r = byCell.get(c);
            if (r != null && !r.failed() && !r.samples().isEmpty()) {
                previous.put(c.prompt() + "|" + c.seed(), r);
            }
        }
        double sum = 0;
        int n = 0;
        for (Cell c : now) {
            CellResult r = byCell.get(c);
            CellResult p = previous.get(c.prompt() + "|" + c.seed());
            if (r == null || r.failed() || r.samples().isEmpty() || p == null) {
                continue;
            }
            sum += CellMetrics.rms(read(reportDir, r), read(reportDir, p));
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    private static Tensor read(Path reportDir, CellResult r) {
        Path file = reportDir.resolve(r.samples());
        try {
            return Npy.read(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the samples of cell " + r.id() + " (" + file + "): "
                    + e.getMessage(), e);
        }
    }

    /** Per sampler, scheduler and cfg (plan order): the slope of log(change) against log(NFE) over the step axis. */
    private static List<Summary.Convergence> convergence(List<Summary.Row> rows) {
        Map<List<Object>, List<Summary.Row>> lines = new LinkedHashMap<>();
        for (Summary.Row r : rows) {
            Cell.Config c = r.config();
            lines.computeIfAbsent(List.of(c.sampler(), c.scheduler(), c.cfg(), c.byNfe()), k -> new ArrayList<>()).add(r);
        }
        List<Summary.Convergence> out = new ArrayList<>();
        for (List<Summary.Row> line : lines.values()) {
            Cell.Config c = line.get(0).config();
            String axis = c.byNfe() ? "NFE budget" : "step count";
            List<double[]> points = new ArrayList<>();
            for (Summary.Row r : line) {
                if (r.change() > 0 && Double.isFinite(r.change()) && r.nfe() > 0 && Double.isFinite(r.nfe())) {
                    points.add(new double[] {Math.log(r.nfe()), Math.log(r.change())});
                }
            }
            double slope = points.size() >= 2 ? slope(points) : Double.NaN;
            boolean converges = slope < Summary.Convergence.CONVERGING_SLOPE;
            String verdict;
            if (line.size() == 1) {
                verdict = "one " + axis + ": not measured";
            } else if (line.size() == 2 && points.size() < 2) {
                verdict = "two " + axis + "s give one change: not measured (needs three or more)";
            } else if (points.size() < 2) {
                verdict = "not measured: fewer than two " + axis + "s with a change above zero";
            } else if (Double.isNaN(slope)) {
                verdict = "not measured: NFE is the same at every " + axis;
            } else {
                verdict = (converges ? "converges" : "keeps changing") + " (change ~ NFE^"
                        + String.format(Locale.ROOT, "%.1f", slope) + ")";
            }
            out.add(new Summary.Convergence(c.sampler().label(), c.scheduler().label(), c.cfg(), slope, converges, verdict));
        }
        return out;
    }

    /** Least-squares slope of y on x over (x, y) points; NaN when every x is the same. */
    static double slope(List<double[]> points) {
        double mx = 0;
        double my = 0;
        for (double[] p : points) {
            mx += p[0];
            my += p[1];
        }
        mx /= points.size();
        my /= points.size();
        double sxy = 0;
        double sxx = 0;
        for (double[] p : points) {
            sxy += (p[0] - mx) * (p[1] - my);
            sxx += (p[0] - mx) * (p[0] - mx);
        }
        return sxx > 1e-12 ? sxy / sxx : Double.NaN;
    }
}
