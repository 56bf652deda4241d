package dev.stepwise.harness;

import dev.stepwise.onnx.metrics.FeatureStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report of a comparison run, written into its folder once {@link Comparison#run} has returned the results:
 * the summary (with human scores from a filled-in sheet), the scoring sheet, plots, grids, scatters, then the tables
 * and pages. {@code stepwise compare}, {@code tune}, {@code bench compare} and the server's compare runs all write it
 * here, so a report looks the same whoever made it.
 */
public final class CompareReport {
    /** Sets of exact samples that the analytic models' figures are read against. */
    public static final int BASELINE_SETS = 4;

    private CompareReport() {
    }

    /**
     * Writes the report of a finished run from the model it ran on.
     *
     * @param checklist  the plan's checklist, or null
     * @param scoresFile a filled-in scoring sheet, read when it exists and there is a checklist
     * @throws PlanException for a scores file that does not fit the report (one line naming the line and value)
     */
    public static Summary write(Plan plan, List<Cell> cells, List<CellResult> results, ModelSource source,
                                Checklist checklist, Path scoresFile, Path out) throws IOException {
        FeatureStats realStats = source instanceof ImageSource image ? image.referenceStats() : null;
        List<Summary.Baseline> baselines = CellMetrics.baselines(source, plan, BASELINE_SETS);
        HumanScores human = checklist != null && scoresFile != null && Files.isRegularFile(scoresFile)
                ? ScoringSheet.read(scoresFile, plan, results, checklist) : null;
        return write(plan, cells, results, realStats, baselines, human, checklist, out, new LinkedHashMap<>(),
                source.metricsNote());
    }

    /**
     * Writes the report: the summary, the scoring sheet (with a checklist), plots, grids and scatters, then the
     * tables and pages (last, so that they link the figures).
     *
     * @param realStats classifier features of real images (Fréchet distance), or null
     * @param human     human scores from a filled-in sheet, or null
     * @param checklist the plan's checklist, or null
     * @param seconds   receives the wall time of each stage in order: summary, scoring sheet, charts, grids,
     *                  scatters, report writer ({@code bench compare} prints them)
     */
    public static Summary write(Plan plan, List<Cell> cells, List<CellResult> results, FeatureStats realStats,
                                List<Summary.Baseline> baselines, HumanScores human, Checklist checklist, Path out,
                                Map<String, Double> seconds) throws IOException {
        return write(plan, cells, results, realStats, baselines, human, checklist, out, seconds, "");
    }

    /**
     * As {@link #write(Plan, List, List, FeatureStats, List, HumanScores, Checklist, Path, Map)}, with the note on
     * the quality figures the model cannot have ({@link ModelSource#metricsNote}, "" for none).
     */
    public static Summary write(Plan plan, List<Cell> cells, List<CellResult> results, FeatureStats realStats,
                                List<Summary.Baseline> baselines, HumanScores human, Checklist checklist, Path out,
                                Map<String, Double> seconds, String metricsNote) throws IOException {
        long t = System.nanoTime();
        Summary summary = Summaries.of(plan, cells, results, out, realStats, human).withBaselines(baselines)
                .withMetricsNote(metricsNote);
        t = lap(seconds, "summary", t);
        if (checklist != null) {
            ScoringSheet.write(out.resolve(ScoringSheet.SHEET), plan, results, checklist);
        }
        t = lap(seconds, "scoring sheet", t);
        Charts.write(summary, out.resolve("plots"));
        t = lap(seconds, "charts", t);
        Grids.write(plan, results, out);
        t = lap(seconds, "grids", t);
        Scatters.write(plan, results, out);
        t = lap(seconds, "scatters", t);
        ReportWriter.write(summary, plan, results, out);
        lap(seconds, "report writer", t);
        return summary;
    }

    /** The line a finished run prints, whichever engine ran it: plan, cells, configurations, model, failures, summary. */
    public static String doneLine(Plan plan, int cells, Summary summary, Path out) {
        return doneLine(plan, cells, summary, out.resolve("summary.md").toString());
    }

    /** As {@link #doneLine(Plan, int, Summary, Path)}, with the summary's location spelled out (a URI). */
    public static String doneLine(Plan plan, int cells, Summary summary, String summaryFile) {
        long failed = summary.rows().stream().mapToLong(Summary.Row::failed).sum();
        return String.format(Locale.ROOT, "%s: %d cells (%d configurations) on %s%s -> %s", plan.name(), cells,
                summary.rows().size(), summary.model(), failed == 0 ? "" : ", " + failed + " failed (see cells.csv)",
                summaryFile);
    }

    private static long lap(Map<String, Double> seconds, String stage, long since) {
        long now = System.nanoTime();
        seconds.put(stage, (now - since) / 1e9);
        return now;
    }
}
