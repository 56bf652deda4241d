package dev.stepwise.harness.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

/** The curve's figure: log-log, the band as one polygon, levels of MSE 0 (flow's s = 1) left out. */
class ErrorCurveChartTest {

    @Test
    void theBandAndTheCurveOnLogAxes() throws IOException {
        XYChart chart = ErrorCurveChart.chart(ErrorCurveTest.vp());
        assertTrue(chart.getStyler().isXAxisLogarithmic() && chart.getStyler().isYAxisLogarithmic());
        List<String> names = List.copyOf(chart.getSeriesMap().keySet());
        assertEquals(List.of("95 % band of the mean", "MSE, class-conditional"), names);
        XYSeries band = chart.getSeriesMap().get(names.get(0));
        assertEquals(XYSeries.XYSeriesRenderStyle.PolygonArea, band.getXYSeriesRenderStyle());
        assertArrayEquals(new double[] {0.52, 0.042, 0.0016, 0.0014, 0.038, 0.48}, band.getYData(), 0, "upper ends, then lower back");
        assertTrue(ErrorCurveChart.png(ErrorCurveTest.vp()).length > 1000);
        String svg = new String(ErrorCurveChart.svg(ErrorCurveTest.vp()), StandardCharsets.UTF_8);
        assertTrue(svg.contains("<title>Noise-prediction error vs noise level - fashion-eps, 256 samples per level</title>"));
    }

    @Test
    void levelsWithoutErrorCannotBeDrawnOnALogAxisAndAreLeftOut() {
        XYChart chart = ErrorCurveChart.chart(ErrorCurveTest.flow());
        XYSeries line = chart.getSeriesMap().get("MSE, unconditional");
        assertEquals(2, line.getXData().length, "s = 1 (MSE 0) is left out");
        ErrorCurve zero = new ErrorCurve("z", "s", 1, 2, new double[] {1, 2}, new double[] {0, 0}, new double[] {0, 0},
                new double[] {0, 0}, 1, "unconditional", "d", 0);
        assertEquals("the error curve of z is 0 at every level; nothing to draw on a log axis",
                assertThrows(IllegalArgumentException.class, () -> ErrorCurveChart.chart(zero)).getMessage());
    }
}
