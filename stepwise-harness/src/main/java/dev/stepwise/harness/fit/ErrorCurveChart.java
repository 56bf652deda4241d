package dev.stepwise.harness.fit;

import dev.stepwise.harness.Charts;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * An error curve as a figure: MSE against sigma on log-log axes, with its 95 % band shaded, in the look of the
 * report's charts ({@link Charts}). Levels whose value is 0 (a flow model's s = 1) cannot be drawn on a log axis
 * and are left out, as the report's charts leave such points out.
 */
public final class ErrorCurveChart {
    static final int WIDTH = 1000;
    static final int HEIGHT = 620;
    private static final Color LINE = new Color(0x4E79A7);
    private static final Color BAND = new Color(0x4E79A7 | 0x40000000, true);

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private ErrorCurveChart() {
    }

    /** The figure of a curve. */
    public static XYChart chart(ErrorCurve curve) {
        double[] s = curve.sigmas(), m = curve.mse(), lo = curve.low(), hi = curve.high();
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Noise-prediction error vs noise level - " + curve.model() + ", " + curve.samples()
                        + " samples per level")
                .xAxisTitle("sigma (" + curve.sampling() + "), log scale")
                .yAxisTitle("MSE of the eps prediction per value, log scale").build();
        Charts.style(chart, true, true);
        chart.getStyler().setMarkerSize(0);
        // The band as one polygon: the upper ends left to right, then the lower ends back (levels with low > 0).
        List<double[]> band = new ArrayList<>();
        for (int i = 0; i < s.length; i++) {
            if (lo[i] > 0) {
                band.add(new double[] {s[i], hi[i], lo[i]});
            }
        }
        if (band.size() >= 2) {
            int n = band.size();
            double[] bx = new double[2 * n], by = new double[2 * n];
            for (int i = 0; i < n; i++) {
                bx[i] = band.get(i)[0];
                by[i] = band.get(i)[1];
                bx[2 * n - 1 - i] = band.get(i)[0];
                by[2 * n - 1 - i] = band.get(i)[2];
            }
            XYSeries b = chart.addSeries("95 % band of the mean", bx, by);
            b.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
            b.setFillColor(BAND);
            b.setLineColor(BAND);
            b.setMarker(SeriesMarkers.NONE);
        }
        List<double[]> points = new ArrayList<>();
        for (int i = 0; i < s.length; i++) {
            if (m[i] > 0) {
                points.add(new double[] {s[i], m[i]});
            }
        }
        if (points.isEmpty()) {
            throw new IllegalArgumentException("the error curve of " + curve.model() + " is 0 at every level; nothing to"
                    + " draw on a log axis");
        }
        // "class-conditional: each image's true label" -> "MSE, class-conditional"
        String branch = curve.conditioning().split(":", 2)[0];
        XYSeries line = chart.addSeries("MSE, " + branch, points.stream().mapToDouble(p -> p[0]).toArray(),
                points.stream().mapToDouble(p -> p[1]).toArray());
        line.setLineColor(LINE);
        line.setLineStyle(new BasicStroke(1.8f));
        line.setMarker(points.size() <= 60 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        line.setMarkerColor(LINE);
        if (points.size() <= 60) {
            chart.getStyler().setMarkerSize(5);
        }
        return chart;
    }

    public static byte[] png(ErrorCurve curve) throws IOException {
        return Charts.png(chart(curve));
    }

    public static byte[] svg(ErrorCurve curve) throws IOException {
        return Charts.svg(chart(curve));
    }
}
