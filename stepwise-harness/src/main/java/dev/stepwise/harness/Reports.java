package dev.stepwise.harness;

import dev.stepwise.onnx.metrics.FeatureStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a comparison's report folder from its cells' records: the summary, the scoring sheet (with a checklist),
 * plots, grids and scatters, then the tables and pages. What every engine does once the cells are done, so a plan
 * run locally or on a cluster gets the same report.
 */
public final class Reports {
    /** Sets of exact samples that the analytic models' figures are read against. */
    public static final int BASELINE_SETS = 4;

    private Reports() {
    }

    /**
     * The report of a finished run on {@code source}: with the real images' statistics (image models), the
     * analytic baselines (mixtures) and the human scores of a filled-in sheet.
     *
     * @param checklist  the plan's checklist, or null
     * @param scoresFile a filled-in scoring sheet, read when it exists and there is a checklist
     */
    public static Summary write(Plan plan, List<Cell> cells, List<CellResult> results, ModelSource source, Path out,
                                Checklist checklist, Path scoresFile) throws IOException {
        FeatureStats realStats = source instanceof ImageSource image ? image.referenceStats() : null;
        List<Summary.Baseline> baselines = CellMetrics.baselines(source, plan, BASELINE_SETS);
        HumanScores human = checklist != null && Files.isRegularFile(scoresFile)
                ? ScoringSheet.read(scoresFile, plan, results, checklist) : null;
        return write(plan, cells, results, realStats, baselines, human, checklist, out, new HashMap<>());
    }

    /**
     * Writes the report files: the summary, the scoring sheet (with a checklist), plots, grids and scatters,
     * then the tables and pages (last, so that they link the figures).
     *
     * @param realStats classifier features of real images (Fréchet distance), or null
     * @param human     human scores from a filled-in sheet, or null
     * @param checklist the plan's checklist, or null
     * @param seconds   receives the wall time of each stage in order: summary, scoring sheet, charts, grids,
     *                  scatters, report writer
     */
    public static Summary write(Plan plan, List<Cell> cells, List<CellResult> results, FeatureStats realStats,
                                List<Summary.Baseline> baselines, HumanScores human, Checklist checklist, Path out,
                                Map<String, Double> seconds) throws IOException {
        long t = System.nanoTime();
        Summary summary = Summaries.of(plan, cells, results, out, realStats, human).withBaselines(baselines);
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

    private static long lap(Map<String, Double> seconds, String stage, long since) {
        long now = System.nanoTime();
        seconds.put(stage, (now - since) / 1e9);
        return now;
    }
}
