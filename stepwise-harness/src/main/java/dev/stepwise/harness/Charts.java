package dev.stepwise.harness;

import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.onnx.image.PngWriter;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.VectorGraphicsEncoder.VectorGraphicsFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's charts, drawn with XChart and written as PNG and SVG: each figure of a {@link Summary} against
 * the mean NFE, one series per sampler configuration. A summary with several scheduler x cfg combinations gets
 * one chart per combination, so a chart never holds more series than the plan has samplers; a sampler keeps
 * its colour and marker in every chart.
 *
 * <p>On a logarithmic axis, points whose value is zero or negative cannot be drawn: they are left out (a
 * series with no point left is left out of the legend too). A chart with no point at all is not written.
 */
public final class Charts {
    /** Chart width in points (SVG units); the PNG is {@link #PNG_SCALE} times larger. */
    static final int WIDTH = 1100;
    /** Smallest chart height in points; taller when the legend needs it. */
    static final int MIN_HEIGHT = 620;
    /** Pixels per point of the PNG: 2 renders at about 192 DPI, sharp on high-density screens and in print. */
    static final int PNG_SCALE = 2;
    /** Legend height per series (11-point font plus padding), measured from XChart's legend layout. */
    private static final int LEGEND_ROW = 18;

    /** Tableau 10: ten colours that stay distinct from each other, also for most colour-blind readers. */
    private static final Color[] COLOURS = {
        new Color(0x4E79A7), new Color(0xF28E2B), new Color(0xE15759), new Color(0x76B7B2), new Color(0x59A14F),
        new Color(0xEDC948), new Color(0xB07AA1), new Color(0xFF9DA7), new Color(0x9C755F), new Color(0x595959)};
    private static final Marker[] MARKERS = {SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND,
        SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS, SeriesMarkers.PLUS};
    private static final BasicStroke SOLID = new BasicStroke(1.6f);
    private static final BasicStroke DASHED = new BasicStroke(1.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
            10f, new float[] {6f, 4f}, 0f);

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private Charts() {
    }

    /** How an axis is scaled. */
    enum Scale {
        LINEAR,
        LOG,
        /** Logarithmic when every value is positive and they span a decade or more, else linear. */
        AUTO
    }

    /**
     * One figure of the summary drawn against the mean NFE.
     *
     * @param file  the file name without extension (a group suffix is added when there are several groups)
     * @param title what the figure is, for the chart title
     * @param axis  the y-axis title
     * @param value the figure of a row (NaN where it does not apply)
     * @param x     the x-axis scale
     * @param y     the y-axis scale
     */
    record Quantity(String file, String title, String axis, ToDoubleFunction<Summary.Row> value, Scale x, Scale y) {
    }

    /** Every chart the report may have, in the order the report shows them. */
    static final List<Quantity> QUANTITIES = List.of(
            new Quantity("adherence-vs-nfe", "Prompt adherence", "prompt adherence (share of images)",
                    Summary.Row::adherence, Scale.AUTO, Scale.LINEAR),
            new Quantity("frechet-vs-nfe", "Classifier-feature Frechet distance", "Frechet distance to real images",
                    Summary.Row::frechet, Scale.AUTO, Scale.AUTO),
            new Quantity("sliced-w1-vs-nfe", "Sliced W1 to the exact target", "sliced Wasserstein-1 distance",
                    Summary.Row::slicedW1, Scale.AUTO, Scale.LOG),
            new Quantity("nll-vs-nfe", "Negative log-likelihood under the exact target", "mean NLL",
                    Summary.Row::nll, Scale.AUTO, Scale.LINEAR),
            new Quantity("time-vs-nfe", "Normalized time per image", "seconds per image (normalized)",
                    r -> r.time() == null ? Double.NaN : r.time().normalized(), Scale.AUTO, Scale.AUTO),
            // Convergence curves are power laws, straight lines on log-log axes.
            new Quantity("convergence-vs-nfe", "Distance to the converged reference", "RMS distance to the reference",
                    Summary.Row::referenceDistance, Scale.LOG, Scale.LOG),
            new Quantity("change-vs-nfe", "Change from the previous step count", "RMS change from the previous step count",
                    Summary.Row::change, Scale.LOG, Scale.LOG));

    /** A chart and the file name (without extension) it is written under. */
    record Figure(String name, XYChart chart) {
    }

    /**
     * Writes every chart that has data as {@code plotsDir/<name>.png} and {@code <name>.svg}, creating the
     * folder. Names are those of {@link #QUANTITIES}, with "-SCHEDULER-cfgCFG" appended when the summary has
     * several scheduler x cfg combinations.
     *
     * @return the files written, PNG then SVG for each chart, in {@link #QUANTITIES} order
     */
    public static List<Path> write(Summary summary, Path plotsDir) throws IOException {
        List<Figure> figures = figures(summary);
        List<Path> written = new ArrayList<>();
        if (figures.isEmpty()) {
            return written;
        }
        AtomicFiles.createFolder(plotsDir);
        for (Figure f : figures) {
            Map<Path, byte[]> files = new LinkedHashMap<>();
            files.put(plotsDir.resolve(f.name() + ".png"), png(f.chart()));
            files.put(plotsDir.resolve(f.name() + ".svg"), svg(f.chart()));
            AtomicFiles.write(files);
            written.addAll(files.keySet());
        }
        return written;
    }

    /** The charts of a summary: each quantity x group that has at least one point to draw. */
    static List<Figure> figures(Summary summary) {
        // A sampler's style follows its place in the plan, so it looks the same in every chart.
        List<String> samplers = new ArrayList<>(distinct(summary.rows(), r -> r.config().sampler().label()));
        List<Group> groups = new ArrayList<>(distinct(summary.rows(),
                r -> new Group(r.config().scheduler().label(), r.config().cfg())));
        List<Figure> figures = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (Quantity q : QUANTITIES) {
            for (Group g : groups) {
                List<Summary.Row> rows = summary.rows().stream().filter(g::holds).toList();
                XYChart chart = chart(summary, q, g, groups.size() > 1, rows, samplers);
                if (chart != null) {
                    String name = groups.size() == 1 ? q.file() : q.file() + "-" + g.fileSuffix();
                    // Two scheduler labels that differ only in characters a file name cannot hold still get two files.
                    String unique = name;
                    for (int k = 2; !names.add(unique); k++) {
                        unique = name + "-" + k;
                    }
                    figures.add(new Figure(unique, chart));
                }
            }
        }
        return figures;
    }

    private record Group(String scheduler, double cfg) {
        boolean holds(Summary.Row r) {
            return r.config().scheduler().label().equals(scheduler) && r.config().cfg() == cfg;
        }

        String fileSuffix() {
            return Grids.safe(scheduler) + "-cfg" + Grids.safe(Cell.plain(cfg));
        }
    }

    private static <T> Set<T> distinct(List<Summary.Row> rows, java.util.function.Function<Summary.Row, T> key) {
        Set<T> out = new LinkedHashSet<>();
        for (Summary.Row r : rows) {
            out.add(key.apply(r));
        }
        return out;
    }

    private record Point(double x, double y) {
    }

    /** The chart of one quantity for one group, or null when it has no point to draw. */
    private static XYChart chart(Summary summary, Quantity q, Group g, boolean grouped, List<Summary.Row> rows,
                                 List<String> samplers) {
        Map<String, List<Point>> series = new LinkedHashMap<>();
        for (Summary.Row r : rows) {
            double x = r.nfe(), y = q.value().applyAsDouble(r);
            if (Double.isFinite(x) && Double.isFinite(y)) {
                series.computeIfAbsent(r.config().sampler().label(), k -> new ArrayList<>()).add(new Point(x, y));
            }
        }
        boolean logX = logarithmic(q.x(), series, Point::x);
        boolean logY = logarithmic(q.y(), series, Point::y);
        series.replaceAll((label, points) -> points.stream()
                .filter(p -> (!logX || p.x() > 0) && (!logY || p.y() > 0))
                .sorted(Comparator.comparingDouble(Point::x))
                .toList());
        series.values().removeIf(List::isEmpty);
        if (series.isEmpty()) {
            return null;
        }
        String title = q.title() + " vs NFE - " + summary.title() + " (" + summary.model() + ")"
                + (grouped ? " - " + g.scheduler() + ", cfg " + Cell.plain(g.cfg()) : "");
        int height = Math.max(MIN_HEIGHT, 90 + LEGEND_ROW * series.size());
        XYChart chart = new XYChartBuilder().width(WIDTH).height(height).title(title)
                .xAxisTitle("mean NFE (model calls per image)" + (logX ? ", log scale" : ""))
                .yAxisTitle(q.axis() + (logY ? ", log scale" : "")).build();
        style(chart, logX, logY);
        // XChart labels only powers of ten on a log axis; a narrower range would show one label or none.
        chart.getStyler().setXAxisLogarithmicDecadeOnly(span(series, Point::x) > 100);
        chart.getStyler().setYAxisLogarithmicDecadeOnly(span(series, Point::y) > 100);
        for (Map.Entry<String, List<Point>> e : series.entrySet()) {
            List<Point> points = e.getValue();
            XYSeries s = chart.addSeries(e.getKey(),
                    points.stream().mapToDouble(Point::x).toArray(), points.stream().mapToDouble(Point::y).toArray());
            int i = samplers.indexOf(e.getKey());
            Color colour = COLOURS[i % COLOURS.length];
            s.setLineColor(colour);
            s.setMarkerColor(colour);
            s.setMarker(MARKERS[(i / COLOURS.length) % MARKERS.length]);
            // Past 70 samplers colour x marker repeats; a dashed line keeps those apart.
            s.setLineStyle(i / (COLOURS.length * MARKERS.length) % 2 == 0 ? SOLID : DASHED);
        }
        return chart;
    }

    /** max / min of an axis's values (meaningful when they are positive). */
    private static double span(Map<String, List<Point>> series, ToDoubleFunction<Point> axis) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (List<Point> points : series.values()) {
            for (Point p : points) {
                min = Math.min(min, axis.applyAsDouble(p));
                max = Math.max(max, axis.applyAsDouble(p));
            }
        }
        return max / min;
    }

    /** Whether an axis is drawn logarithmic for these points. */
    private static boolean logarithmic(Scale scale, Map<String, List<Point>> series, ToDoubleFunction<Point> axis) {
        return switch (scale) {
            case LINEAR -> false;
            case LOG -> true;
            case AUTO -> {
                double min = Double.POSITIVE_INFINITY;
                for (List<Point> points : series.values()) {
                    for (Point p : points) {
                        min = Math.min(min, axis.applyAsDouble(p));
                    }
                }
                yield min > 0 && span(series, axis) >= 10;
            }
        };
    }

    /** The report's look (white, light grid, legend at the right, these fonts), shared by other figures of the harness. */
    public static void style(XYChart chart, boolean logX, boolean logY) {
        var st = chart.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotGridLinesColor(new Color(0xDDDDDD));
        st.setPlotBorderVisible(true);
        st.setLegendPosition(Styler.LegendPosition.OutsideE);
        st.setLegendBorderColor(new Color(0xBBBBBB));
        st.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        st.setLegendPadding(4);
        st.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        st.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        st.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        st.setMarkerSize(7);
        st.setXAxisLogarithmic(logX);
        st.setYAxisLogarithmic(logY);
        st.setAntiAlias(true);
        // XChart's default pattern writes ".09"; "0.09" reads better. Not on log axes: there a formatting
        // function makes XChart place its ticks linearly.
        if (!logX) {
            st.setxAxisTickLabelsFormattingFunction(Charts::tick);
        }
        if (!logY) {
            st.setyAxisTickLabelsFormattingFunction(Charts::tick);
        }
    }

    /** A tick label: up to four significant digits, plain between 1e-4 and 1e6, else like "1e-05". */
    static String tick(double v) {
        if (v == 0 || !Double.isFinite(v)) {
            return v == 0 ? "0" : Double.toString(v);
        }
        double a = Math.abs(v);
        if (a >= 1e-4 && a < 1e6) {
            return new BigDecimal(String.format(Locale.ROOT, "%.4g", v)).stripTrailingZeros().toPlainString();
        }
        String m = String.format(Locale.ROOT, "%.3e", v);
        int e = m.indexOf('e');
        String mantissa = new BigDecimal(m.substring(0, e)).stripTrailingZeros().toPlainString();
        return mantissa + "e" + Integer.parseInt(m.substring(e + 1));
    }

    /** PNG bytes of the chart at {@link #PNG_SCALE} pixels per point. */
    public static byte[] png(XYChart chart) throws IOException {
        BufferedImage img = new BufferedImage(chart.getWidth() * PNG_SCALE, chart.getHeight() * PNG_SCALE,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.scale(PNG_SCALE, PNG_SCALE);
            chart.paint(g, chart.getWidth(), chart.getHeight());
        } finally {
            g.dispose();
        }
        return PngWriter.encode(img, null);
    }

    /**
     * SVG bytes of the chart (XChart's VectorGraphics2D back-end). XChart draws every letter as an outline, so
     * the chart's title, its series and their points are added as the SVG's {@code <title>} and {@code <desc>}:
     * screen readers, search and anyone reading the file get the words and the data.
     */
    public static byte[] svg(XYChart chart) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        VectorGraphicsEncoder.saveVectorGraphic(chart, out, VectorGraphicsFormat.SVG);
        String svg = out.toString(StandardCharsets.UTF_8);
        int root = svg.indexOf("<svg");
        int open = root < 0 ? -1 : svg.indexOf('>', root);
        if (open < 0) {
            throw new IOException("XChart wrote an SVG without an <svg> element");
        }
        StringBuilder desc = new StringBuilder();
        desc.append("x: ").append(chart.getXAxisTitle()).append("; y: ").append(chart.getYAxisTitle()).append('\n');
        for (XYSeries s : chart.getSeriesMap().values()) {
            desc.append(s.getName()).append(':');
            double[] x = s.getXData(), y = s.getYData();
            for (int i = 0; i < x.length; i++) {
                desc.append(String.format(Locale.ROOT, " (%.6g, %.6g)", x[i], y[i]));
            }
            desc.append('\n');
        }
        String meta = "\n  <title>" + escape(chart.getTitle()) + "</title>\n  <desc>" + escape(desc.toString())
                + "</desc>";
        return (svg.substring(0, open + 1) + meta + svg.substring(open + 1)).getBytes(StandardCharsets.UTF_8);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
