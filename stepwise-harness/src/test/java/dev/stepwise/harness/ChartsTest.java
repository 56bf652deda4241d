package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.w3c.dom.Document;

class ChartsTest {
    private static final double NaN = Double.NaN;

    /** Figures of one row; NaN where the model has no such figure. */
    record Figures(double nfe, double adherence, double frechet, double w1, double nll, double seconds,
                   double reference, double change) {
    }

    static Summary.Row row(String sampler, String scheduler, int steps, double cfg, Figures f) {
        Cell.Config config = new Cell.Config(Plan.SamplerSpec.of(sampler), Plan.SchedulerSpec.of(scheduler), steps,
                false, cfg);
        Summary.Timing time = Double.isNaN(f.seconds()) ? null
                : new Summary.Timing(8, f.seconds(), f.seconds(), 4, f.seconds(), 0, f.seconds(), f.seconds());
        return new Summary.Row(config, 8, 0, 8, steps, f.nfe(), time, 0.01, 0.9, f.adherence(), f.frechet(), null, f.w1(),
                f.nll(), f.reference(), f.change(), null);
    }

    /** An image-model summary: samplers at 10 and 20 steps, one scheduler and cfg. */
    static Summary imageSummary(List<String> samplers) {
        List<Summary.Row> rows = new ArrayList<>();
        for (int i = 0; i < samplers.size(); i++) {
            for (int steps : new int[] {10, 20}) {
                rows.add(row(samplers.get(i), "karras", steps, 3, new Figures(steps * (1 + i % 2), 0.5 + 0.01 * i,
                        30.0 / steps + i, NaN, NaN, 0.002 * steps, 1.0 / steps, steps == 10 ? NaN : 0.5 / steps)));
            }
        }
        return new Summary("catalogue", "fashion-eps", 4, rows, List.of());
    }

    private static Document xml(Path svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        // The SVG names the W3C DTD; reading it would need the network and adds nothing to a well-formedness check.
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        DocumentBuilder b = f.newDocumentBuilder();
        return b.parse(svg.toFile());
    }

    @Test
    void writesPngAndSvgOfEachFigureThatHasValues(@TempDir Path dir) throws Exception {
        List<String> samplers = List.of("euler", "dpmpp_2m", "heun");
        List<Path> files = Charts.write(imageSummary(samplers), dir.resolve("plots"));
        Set<String> names = files.stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        // Sliced W1 and NLL are NaN everywhere on an image model: those charts are skipped.
        Set<String> expected = new HashSet<>();
        for (String n : List.of("adherence-vs-nfe", "frechet-vs-nfe", "time-vs-nfe", "convergence-vs-nfe",
                "change-vs-nfe")) {
            expected.add(n + ".png");
            expected.add(n + ".svg");
        }
        assertEquals(expected, names);
        for (Path p : files) {
            assertTrue(Files.isRegularFile(p), p.toString());
            assertEquals(dir.resolve("plots"), p.getParent());
        }
        try (var listing = Files.list(dir.resolve("plots"))) {
            assertEquals(10, listing.count(), "no temporary files left");
        }
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("plots/time-vs-nfe.png"))));
        assertNotNull(png, "PNG decodes");
        assertEquals(Charts.WIDTH * Charts.PNG_SCALE, png.getWidth());
        assertEquals(Charts.MIN_HEIGHT * Charts.PNG_SCALE, png.getHeight());
        Document svg = xml(dir.resolve("plots/adherence-vs-nfe.svg"));
        assertEquals("svg", svg.getDocumentElement().getTagName());
        // XChart draws letters as outlines; the words and data are in the SVG's title and desc.
        assertEquals("Prompt adherence vs NFE - catalogue (fashion-eps)",
                svg.getElementsByTagName("title").item(0).getTextContent());
        String desc = svg.getElementsByTagName("desc").item(0).getTextContent();
        for (String s : samplers) {
            assertTrue(desc.contains(s + ":"), "desc names " + s + ": " + desc);
        }
        // euler (i = 0): NFE 10 and 20, adherence 0.5; dpmpp_2m (i = 1): NFE 20 and 40, adherence 0.51.
        assertTrue(desc.contains("euler: (10.0000, 0.500000) (20.0000, 0.500000)\n"), desc);
        assertTrue(desc.contains("dpmpp_2m: (20.0000, 0.510000) (40.0000, 0.510000)\n"), desc);
    }

    @Test
    void aFigureNaNEverywhereIsSkippedAndNothingIsWrittenWithoutData(@TempDir Path dir) throws Exception {
        Summary onlyTime = new Summary("t", "m", 4, List.of(
                row("euler", "simple", 10, 1, new Figures(10, NaN, NaN, NaN, NaN, 0.5, NaN, NaN)),
                row("euler", "simple", 20, 1, new Figures(20, NaN, NaN, NaN, NaN, 1.0, NaN, NaN))), List.of());
        assertEquals(List.of("time-vs-nfe"), Charts.figures(onlyTime).stream().map(Charts.Figure::name).toList());
        Summary nothing = new Summary("t", "m", 4, List.of(
                row("euler", "simple", 10, 1, new Figures(NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN))), List.of());
        assertEquals(List.of(), Charts.write(nothing, dir.resolve("plots")));
        assertFalse(Files.exists(dir.resolve("plots")), "no empty folder either");
    }

    private static XYChart chart(Summary s, String name) {
        return Charts.figures(s).stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow().chart();
    }

    @Test
    void aLogAxisLeavesOutValuesThatAreNotPositive() throws Exception {
        // Sliced W1 is drawn on a log axis: 0 and -1 cannot be placed there; a series with nothing else is left out.
        Summary s = new Summary("gmm", "gmm:builtin", 4, List.of(
                row("euler", "karras", 4, 1, new Figures(4, NaN, NaN, 0.4, 2.0, 0.01, NaN, NaN)),
                row("euler", "karras", 8, 1, new Figures(8, NaN, NaN, 0.0, 1.9, 0.02, NaN, NaN)),
                row("euler", "karras", 16, 1, new Figures(16, NaN, NaN, 0.05, -0.5, 0.04, NaN, NaN)),
                row("heun", "karras", 4, 1, new Figures(7, NaN, NaN, -1.0, 1.8, 0.01, NaN, NaN)),
                row("heun", "karras", 8, 1, new Figures(15, NaN, NaN, 0.0, 1.7, 0.02, NaN, NaN))), List.of());
        XYChart w1 = chart(s, "sliced-w1-vs-nfe");
        assertTrue(w1.getStyler().isYAxisLogarithmic());
        assertEquals(Set.of("euler"), w1.getSeriesMap().keySet());
        XYSeries euler = w1.getSeriesMap().get("euler");
        assertArrayEquals(new double[] {4, 16}, euler.getXData());
        assertArrayEquals(new double[] {0.4, 0.05}, euler.getYData());
        // NLL may be negative: a linear axis keeps every point.
        XYChart nll = chart(s, "nll-vs-nfe");
        assertFalse(nll.getStyler().isYAxisLogarithmic());
        assertArrayEquals(new double[] {2.0, 1.9, -0.5}, nll.getSeriesMap().get("euler").getYData());
        assertNotNull(ImageIO.read(new ByteArrayInputStream(Charts.png(w1))), "renders");
        assertTrue(new String(Charts.svg(w1), java.nio.charset.StandardCharsets.UTF_8).contains("euler: (4.00000, 0.400000) (16.0000, 0.0500000)"));

        Summary none = new Summary("gmm", "gmm:builtin", 4, List.of(
                row("euler", "karras", 4, 1, new Figures(4, NaN, NaN, 0.0, NaN, NaN, NaN, NaN))), List.of());
        assertTrue(Charts.figures(none).isEmpty(), "a log chart with no positive value is not drawn");
    }

    @Test
    void automaticAxesGoLogarithmicOnlyAcrossDecades() {
        Summary narrow = new Summary("t", "m", 4, List.of(
                row("euler", "simple", 10, 1, new Figures(10, NaN, 20, NaN, NaN, 0.1, NaN, NaN)),
                row("euler", "simple", 20, 1, new Figures(20, NaN, 60, NaN, NaN, 0.2, NaN, NaN))), List.of());
        XYChart fd = chart(narrow, "frechet-vs-nfe");
        assertFalse(fd.getStyler().isYAxisLogarithmic(), "20..60 is less than a decade");
        assertFalse(fd.getStyler().isXAxisLogarithmic(), "NFE 10..20");
        Summary wide = new Summary("t", "m", 4, List.of(
                row("euler", "simple", 10, 1, new Figures(10, NaN, 200, NaN, NaN, 0.1, NaN, NaN)),
                row("euler", "simple", 100, 1, new Figures(100, NaN, 20, NaN, NaN, 1.0, NaN, NaN))), List.of());
        fd = chart(wide, "frechet-vs-nfe");
        assertTrue(fd.getStyler().isYAxisLogarithmic(), "20..200 is a decade");
        assertTrue(fd.getStyler().isXAxisLogarithmic(), "NFE 10..100");
        // The convergence curves are log-log whatever their span.
        Summary conv = new Summary("t", "m", 4, List.of(
                row("euler", "simple", 10, 1, new Figures(10, NaN, NaN, NaN, NaN, 0.1, 0.2, NaN)),
                row("euler", "simple", 20, 1, new Figures(20, NaN, NaN, NaN, NaN, 0.2, 0.1, 0.15))), List.of());
        XYChart c = chart(conv, "convergence-vs-nfe");
        assertTrue(c.getStyler().isXAxisLogarithmic() && c.getStyler().isYAxisLogarithmic());
        XYChart change = chart(conv, "change-vs-nfe");
        assertArrayEquals(new double[] {20}, change.getSeriesMap().get("euler").getXData(), "NaN change at 10 left out");
    }

    @Test
    void severalSchedulersAndCfgsGetOneChartEach() {
        List<Summary.Row> rows = new ArrayList<>();
        for (String sampler : List.of("euler", "heun")) {
            for (String scheduler : List.of("karras", "simple")) {
                for (double cfg : new double[] {1, 3.5}) {
                    for (int steps : new int[] {10, 20}) {
                        rows.add(row(sampler, scheduler, steps, cfg, new Figures(steps, 0.5, NaN, NaN, NaN, 0.1 * cfg,
                                NaN, NaN)));
                    }
                }
            }
        }
        Summary s = new Summary("t", "m", 4, rows, List.of());
        List<String> names = Charts.figures(s).stream().map(Charts.Figure::name).toList();
        assertEquals(List.of("adherence-vs-nfe-karras-cfg1", "adherence-vs-nfe-karras-cfg3.5",
                "adherence-vs-nfe-simple-cfg1", "adherence-vs-nfe-simple-cfg3.5", "time-vs-nfe-karras-cfg1",
                "time-vs-nfe-karras-cfg3.5", "time-vs-nfe-simple-cfg1", "time-vs-nfe-simple-cfg3.5"), names);
        XYChart t = chart(s, "time-vs-nfe-simple-cfg3.5");
        assertEquals(Set.of("euler", "heun"), t.getSeriesMap().keySet());
        assertArrayEquals(new double[] {0.35, 0.35}, t.getSeriesMap().get("heun").getYData(), 1e-12);
        assertTrue(t.getTitle().contains("simple, cfg 3.5"), t.getTitle());
    }

    @Test
    void aFullCatalogueGetsDistinctStylesAndALegendThatFits() throws Exception {
        List<String> samplers = new ArrayList<>();
        for (int i = 0; i < 57; i++) {
            samplers.add("sampler_" + i);
        }
        Summary s = imageSummary(samplers);
        XYChart chart = chart(s, "adherence-vs-nfe");
        assertEquals(57, chart.getSeriesMap().size());
        Set<String> styles = new HashSet<>();
        for (XYSeries series : chart.getSeriesMap().values()) {
            styles.add(series.getLineColor() + " " + series.getMarker().getClass() + " " + series.getLineStyle());
        }
        assertEquals(57, styles.size(), "no two samplers look alike");
        // The legend (one line per sampler) must fit the chart's height.
        assertTrue(chart.getHeight() >= 57 * 14, "height " + chart.getHeight());
        // The same sampler keeps its look in every chart.
        XYChart time = chart(s, "time-vs-nfe");
        for (Map.Entry<String, XYSeries> e : chart.getSeriesMap().entrySet()) {
            assertEquals(e.getValue().getLineColor(), time.getSeriesMap().get(e.getKey()).getLineColor());
            assertEquals(e.getValue().getMarker(), time.getSeriesMap().get(e.getKey()).getMarker());
        }
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(Charts.png(chart)));
        assertEquals(chart.getHeight() * Charts.PNG_SCALE, png.getHeight());
    }

    @Test
    void tickLabelsArePlainNumbers() {
        assertEquals("0.09", Charts.tick(0.09));
        assertEquals("0.1235", Charts.tick(0.123456));
        assertEquals("250", Charts.tick(250));
        assertEquals("-1.5", Charts.tick(-1.5));
        assertEquals("0", Charts.tick(0));
        assertEquals("1e-5", Charts.tick(1e-5));
        assertEquals("2.5e7", Charts.tick(2.5e7));
    }
}
