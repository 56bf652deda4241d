package dev.stepwise.harness;

import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Scatter plots of 2-D samples (analytic mixtures): for each sampler x scheduler x cfg x prompt at the plan's
 * largest step-axis value, the first seed's samples (at most {@link #MAX_POINTS}), as
 * {@code plots/scatter-p<prompt>-<sampler>-<scheduler>-cfg<cfg>.png}. Every scatter of a report shares its axis
 * ranges, so the eye can compare them side by side. PNG only: an SVG of thousands of dots is megabytes and no
 * sharper to read.
 */
public final class Scatters {
    /** Points drawn per chart at most (the cell's first rows). */
    static final int MAX_POINTS = 4096;
    /** Chart size in points; the PNG is {@link Charts#PNG_SCALE} times larger. */
    static final int SIZE = 560;
    /** Share of the pooled points each axis range leaves out at either end, so one diverging sampler does not
     * squeeze every other scatter into a corner. */
    static final double TAIL = 0.005;

    private Scatters() {
    }

    private record Scatter(String name, String title, double[] x, double[] y) {
    }

    /**
     * Writes the scatters and returns their paths; nothing when the cells' samples are not 2-D points (image
     * models) or none is readable.
     */
    public static List<Path> write(Plan plan, List<CellResult> results, Path reportDir) throws IOException {
        if (plan.stepAxis().isEmpty() || plan.seeds().isEmpty()) {
            return List.of();
        }
        int last = Collections.max(plan.stepAxis());
        long seed = plan.seeds().get(0);
        List<Scatter> scatters = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (CellResult r : results) {
            Cell c = r.cell();
            if (r.failed() || c.config().stepAxis() != last || c.seed() != seed || r.samples().isEmpty()) {
                continue;
            }
            double[][] xy = points(reportDir.resolve(r.samples()));
            if (xy == null) {
                continue;
            }
            String stem = "scatter-p" + c.prompt() + "-" + Grids.safe(c.config().sampler().label()) + "-"
                    + Grids.safe(c.config().scheduler().label()) + "-cfg" + Grids.safe(Cell.plain(c.config().cfg()));
            String name = stem;
            for (int k = 2; !names.add(name); k++) {
                name = stem + "-" + k;
            }
            String prompt = c.prompt() < plan.prompts().size() ? plan.prompts().get(c.prompt()).prompt() : "";
            String title = c.config().label() + " / prompt " + (prompt.isEmpty() ? "(none)" : "'" + prompt + "'")
                    + " / seed " + seed;
            scatters.add(new Scatter(name, title, xy[0], xy[1]));
        }
        if (scatters.isEmpty()) {
            return List.of();
        }
        double[] xRange = range(scatters.stream().map(Scatter::x).toList());
        double[] yRange = range(scatters.stream().map(Scatter::y).toList());
        Path dir = reportDir.resolve("plots");
        AtomicFiles.createFolder(dir);
        List<Path> written = new ArrayList<>();
        for (Scatter s : scatters) {
            Path path = dir.resolve(s.name() + ".png");
            AtomicFiles.write(path, Charts.png(chart(s, xRange, yRange)));
            written.add(path);
        }
        return written;
    }

    /** The first {@link #MAX_POINTS} rows of a [batch, 2] samples file as {x, y}, or null if it is not that. */
    static double[][] points(Path file) {
        Tensor t;
        try {
            t = Npy.read(file);
        } catch (IOException | IllegalArgumentException e) {
            // A missing or damaged file leaves its scatter out; the cell table still reports the cell.
            return null;
        }
        if (t.rank() != 2 || t.dim(1) != 2) {
            return null;
        }
        int n = Math.min(t.dim(0), MAX_POINTS);
        double[] x = new double[n], y = new double[n];
        float[] d = t.data();
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (Float.isFinite(d[2 * i]) && Float.isFinite(d[2 * i + 1])) {
                x[kept] = d[2 * i];
                y[kept] = d[2 * i + 1];
                kept++;
            }
        }
        return kept == 0 ? null : new double[][] {Arrays.copyOf(x, kept), Arrays.copyOf(y, kept)};
    }

    /** The axis range of the pooled values: the TAIL and 1 - TAIL quantiles, widened by 10% on each side. */
    static double[] range(List<double[]> values) {
        double[] all = values.stream().flatMapToDouble(Arrays::stream).sorted().toArray();
        double lo = all[(int) Math.floor(TAIL * (all.length - 1))];
        double hi = all[(int) Math.ceil((1 - TAIL) * (all.length - 1))];
        double pad = hi > lo ? 0.1 * (hi - lo) : 1;
        return new double[] {lo - pad, hi + pad};
    }

    private static XYChart chart(Scatter s, double[] xRange, double[] yRange) {
        XYChart chart = new XYChartBuilder().width(SIZE).height(SIZE).title(s.title()).xAxisTitle("x[0]")
                .yAxisTitle("x[1]").build();
        var st = chart.getStyler();
        st.setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotGridLinesColor(new Color(0xDDDDDD));
        st.setLegendVisible(false);
        st.setMarkerSize(3);
        st.setXAxisMin(xRange[0]).setXAxisMax(xRange[1]).setYAxisMin(yRange[0]).setYAxisMax(yRange[1]);
        st.setxAxisTickLabelsFormattingFunction(Charts::tick);
        st.setyAxisTickLabelsFormattingFunction(Charts::tick);
        XYSeries series = chart.addSeries(s.name(), s.x(), s.y());
        series.setMarker(SeriesMarkers.CIRCLE);
        // Translucent dots show where samples pile up.
        series.setMarkerColor(new Color(0x4E, 0x79, 0xA7, 90));
        return chart;
    }
}
