package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
    @TempDir
    Path dir;

    private static Summary.Timing time(double mean) {
        return new Summary.Timing(8, mean, mean * 0.9, 4, mean, 0.1, mean * 0.8, mean * 1.2);
    }

    private static Summary.Row row(Plan plan, int sampler, double adherence, double frechet, double w1) {
        Cell.Config c = new Cell.Config(plan.samplers().get(sampler), plan.schedulers().get(0), 20, false, 3);
        return new Summary.Row(c, 8, 0, 8, 20, 20, time(0.012), 6e-4, 0.97, adherence, frechet, null, w1, Double.NaN,
                Double.NaN, Double.NaN, null);
    }

    /** The data rows of the ranking table, from "| 1 |" on, in order. */
    private static List<String> rankingLines(String md) {
        return md.lines().filter(l -> l.matches("\\| \\d+ \\|.*")).toList();
    }

    @Test
    void imageModelsRankByAdherenceThenFrechetDistance() throws IOException {
        Plan plan = ReportFixtures.plan(List.of("alpha", "beta", "gamma", "delta"), List.of(20), List.of("bag"), 8, 1);
        Summary s = new Summary("t", "fashion-eps", 4, List.of(
                row(plan, 0, 0.5, 1.0, Double.NaN),
                row(plan, 1, 1.0, 2.0, Double.NaN),
                row(plan, 2, 1.0, 1.0, Double.NaN),
                row(plan, 3, Double.NaN, Double.NaN, Double.NaN)), List.of());
        ReportWriter.write(s, plan, List.of(), dir);
        String md = Files.readString(dir.resolve("summary.md"));
        List<String> ranked = rankingLines(md);
        assertEquals(4, ranked.size(), md);
        assertTrue(ranked.get(0).startsWith("| 1 | gamma | simple | 20 | 3 | 20 | 100% | 1.00 |"), ranked.get(0));
        assertTrue(ranked.get(1).startsWith("| 2 | beta |"), ranked.get(1));
        assertTrue(ranked.get(2).startsWith("| 3 | alpha | simple | 20 | 3 | 20 | 50% |"), ranked.get(2));
        assertTrue(ranked.get(3).startsWith("| 4 | delta | simple | 20 | 3 | 20 | – | – |"), ranked.get(3));
        assertTrue(md.contains("| # | sampler | scheduler | steps | cfg | NFE | adherence | FD | avg s/image |"
                + " normalized s/image (drop 4) | median | spread (p10–p90) |"), md);
        assertFalse(md.contains("sliced W1"), "no column for a figure nobody measured");
        assertTrue(md.contains("- **gamma / simple / 20 steps / cfg 3**: Average time 0.0120 s per picture"
                + " / Average time normalized 0.0108 s per picture"), md);

        // summary.csv keeps plan order and states the rank
        List<Csv.Record> csv = Csv.parse(Files.readString(dir.resolve("summary.csv")), "summary.csv");
        assertEquals(5, csv.size());
        assertEquals(List.of("3", "alpha"), csv.get(1).fields().subList(0, 2));
        assertEquals(List.of("1", "gamma"), csv.get(3).fields().subList(0, 2));
    }

    private static Summary.Row unavailable(Plan plan, int sampler, double adherence, String reason) {
        Cell.Config c = new Cell.Config(plan.samplers().get(sampler), plan.schedulers().get(0), 20, false, 3);
        return new Summary.Row(c, 8, 0, 8, 20, 20, time(0.012), 6e-4, 0.97, adherence, Double.NaN, reason, Double.NaN,
                Double.NaN, Double.NaN, Double.NaN, null);
    }

    @Test
    void anUnavailableFrechetDistanceIsMarkedWithItsReasonInEveryFile() throws IOException {
        Plan plan = ReportFixtures.plan(List.of("alpha", "beta", "gamma"), List.of(20), List.of("bag"), 8, 1);
        String few = "only 3 images: FD needs at least 95 here", nan = "1 of 8 images have non-finite classifier features";
        Summary s = new Summary("t", "fashion-eps", 4, List.of(row(plan, 0, 0.5, 12.5, Double.NaN),
                unavailable(plan, 1, 1.0, few), unavailable(plan, 2, 0.75, nan)), List.of());
        ReportWriter.write(s, plan, List.of(), dir);
        String md = Files.readString(dir.resolve("summary.md"));
        List<String> ranked = rankingLines(md);
        assertTrue(ranked.get(0).startsWith("| 1 | beta | simple | 20 | 3 | 20 | 100% | n/a |"), ranked.get(0));
        assertTrue(ranked.get(1).startsWith("| 2 | gamma | simple | 20 | 3 | 20 | 75% | n/a |"), ranked.get(1));
        assertTrue(ranked.get(2).startsWith("| 3 | alpha | simple | 20 | 3 | 20 | 50% | 12.5 |"), ranked.get(2));
        String note = "FD is not available for beta / simple / 20 steps / cfg 3: " + few
                + ". FD is not available for gamma / simple / 20 steps / cfg 3: " + nan + ".";
        assertTrue(md.contains(note), md);
        assertTrue(Files.readString(dir.resolve("index.html")).contains(note.replace("'", "&#39;")), "index.html");

        List<Csv.Record> csv = Csv.parse(Files.readString(dir.resolve("summary.csv")), "summary.csv");
        List<String> header = csv.get(0).fields();
        int fd = header.indexOf("frechet"), why = header.indexOf("frechet_unavailable");
        assertEquals(fd + 1, why, header.toString());
        assertEquals(List.of("12.5", ""), csv.get(1).fields().subList(fd, why + 1));
        assertEquals(List.of("", few), csv.get(2).fields().subList(fd, why + 1));
        assertEquals(List.of("", nan), csv.get(3).fields().subList(fd, why + 1));

        JsonNode rows = new ObjectMapper().readTree(dir.resolve("summary.json").toFile()).get("rows");
        assertEquals(12.5, rows.get(0).get("frechet").asDouble());
        assertTrue(rows.get(0).get("frechet_unavailable").isNull());
        assertTrue(rows.get(1).get("frechet").isNull());
        assertEquals(few, rows.get(1).get("frechet_unavailable").asText());
    }

    @Test
    void whenNoConfigurationHasAFrechetDistanceTheColumnGoesAndOneSentenceSaysWhy() throws IOException {
        Plan plan = ReportFixtures.plan(List.of("alpha", "beta"), List.of(20), List.of("bag"), 4, 1);
        String few = "only 4 images: FD needs at least 95 here";
        Summary s = new Summary("t", "fashion-eps", 4, List.of(unavailable(plan, 0, 0.5, few),
                unavailable(plan, 1, 1.0, few)), List.of());
        ReportWriter.write(s, plan, List.of(), dir);
        String md = Files.readString(dir.resolve("summary.md"));
        assertTrue(md.contains("| # | sampler | scheduler | steps | cfg | NFE | adherence | avg s/image |"), md);
        assertTrue(md.contains("FD is not available: " + few + "."), md);
        assertFalse(md.contains("FD is the classifier-feature"), "no FD, no note on reading it");
    }

    @Test
    void mixturesRankBySlicedWasserstein() throws IOException {
        Plan plan = ReportFixtures.plan(List.of("alpha", "beta", "gamma"), List.of(20), List.of("0"), 1, 1000);
        Summary s = new Summary("t", "gmm:builtin", 4, List.of(
                row(plan, 0, Double.NaN, Double.NaN, 0.3),
                row(plan, 1, Double.NaN, Double.NaN, 0.1),
                row(plan, 2, Double.NaN, Double.NaN, 0.2)), List.of());
        ReportWriter.write(s, plan, List.of(), dir);
        List<String> ranked = rankingLines(Files.readString(dir.resolve("summary.md")));
        assertEquals(List.of("beta", "gamma", "alpha"), ranked.stream().map(l -> l.split(" \\| ")[1]).toList());
        assertTrue(Files.readString(dir.resolve("summary.md")).contains("Ranked by sliced Wasserstein-1"));
    }

    /** A small finished run: 2 samplers x 2 step counts x 2 prompts x 3 seeds, samples on disk, one failure. */
    private List<CellResult> run(Plan plan, List<Cell> cells, Path reportDir) throws IOException {
        Files.createDirectories(reportDir.resolve("samples"));
        Random rnd = new Random(7);
        List<CellResult> results = new ArrayList<>();
        for (int i = 0; i < cells.size(); i++) {
            Cell c = cells.get(i);
            if (i == 5) {
                results.add(ReportFixtures.failed(c, "sampler failed: NaN at step 3, see \"x\""));
                continue;
            }
            CellResult r = ReportFixtures.ok(c, 0.01 + 0.001 * i, 0.009, Map.of(CellResult.Metrics.ADHERENCE,
                    i % 3 == 0 ? 0.0 : 1.0, CellResult.Metrics.REFERENCE_DISTANCE, 0.1 / c.steps()),
                    new double[][] {{rnd.nextGaussian(), rnd.nextGaussian()}});
            float[] x = new float[4];
            for (int k = 0; k < 4; k++) {
                x[k] = (float) (k + 1.0 / c.steps() + 0.001 * c.prompt());
            }
            Npy.write(Tensor.wrap(x, 1, 4), reportDir.resolve(r.samples()));
            results.add(r);
        }
        return results;
    }

    private static Plan smallPlan() {
        Plan p = ReportFixtures.plan(List.of("euler", "heun"), List.of(10, 20), List.of("bag", "sneaker"), 3, 1);
        return new Plan(p.name(), p.model(), p.samplers(), p.schedulers(), p.steps(), p.nfe(), p.cfg(),
                List.of(new Plan.PromptSpec("bag", "sneaker"), Plan.PromptSpec.of("sneaker, white")), p.seeds(), p.batch(),
                p.reference(), p.dropSlowest(), p.parallel(), p.checklist(), p.source());
    }

    @Test
    void cellsCsvHasOneRowPerCellAndNoDuplicates() throws IOException {
        Plan plan = smallPlan();
        List<Cell> cells = ReportFixtures.cells(plan);
        List<CellResult> results = run(plan, cells, dir);
        List<CellResult> given = new ArrayList<>(results);
        given.add(results.get(3)); // a result reported twice (a resumed run that reread its cell)
        Collections.shuffle(given, new Random(3));
        Summary s = Summaries.of(plan, cells, given, dir, null, null);
        ReportWriter.write(s, plan, given, dir);

        List<Csv.Record> csv = Csv.parse(Files.readString(dir.resolve("cells.csv")), "cells.csv");
        List<String> header = csv.get(0).fields();
        assertEquals(List.of("id", "sampler", "scheduler", "steps", "nfe_budget", "cfg", "prompt", "negative", "seed",
                "nfe", "network_calls", "steps_run", "seconds", "network_seconds", "cell_seconds", "adherence",
                "reference_distance", "image", "samples", "error"), header);
        assertEquals(1 + cells.size(), csv.size());
        Set<String> ids = new HashSet<>();
        for (int i = 1; i < csv.size(); i++) {
            List<String> f = csv.get(i).fields();
            assertEquals(header.size(), f.size());
            assertTrue(ids.add(f.get(0)), "duplicate " + f.get(0));
            assertEquals(ReportFixtures.id(cells.get(i - 1)), f.get(0), "plan order");
        }
        List<String> failed = csv.get(6).fields();
        assertEquals("sampler failed: NaN at step 3, see \"x\"", failed.get(header.indexOf("error")));
        assertEquals("", failed.get(header.indexOf("adherence")));
        List<String> first = csv.get(1).fields();
        assertEquals("bag", first.get(6));
        assertEquals("sneaker", first.get(7));
        assertEquals("0.01", first.get(header.indexOf("seconds")));
        assertEquals("sneaker, white", csv.get(4).fields().get(6));

        JsonNode json = new ObjectMapper().readTree(dir.resolve("cells.json").toFile());
        assertEquals(cells.size(), json.size());
        assertTrue(json.get(5).get("metrics").isEmpty());
        JsonNode summary = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
        assertEquals(4, summary.get("rows").size());
        assertEquals(2, summary.get("convergence").size());
        assertEquals(1, summary.get("rows").get(0).get("failed").asInt());
        assertEquals(6, summary.get("rows").get(0).get("cells").asInt());
        String md = Files.readString(dir.resolve("summary.md"));
        assertTrue(md.contains("24 cells, 24 finished (1 failed), 23 images."), md);
        assertTrue(md.contains("## Failures"), md);
    }

    @Test
    void writingTwiceGivesIdenticalBytes() throws IOException {
        Plan plan = smallPlan();
        List<Cell> cells = ReportFixtures.cells(plan);
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        for (Path d : List.of(a, b)) {
            Files.createDirectories(d.resolve("plots"));
            Files.createDirectories(d.resolve("grids"));
            Files.writeString(d.resolve("plots/quality-vs-nfe.png"), "png");
            Files.writeString(d.resolve("plots/quality-vs-nfe.svg"), "svg");
            Files.writeString(d.resolve("grids/sampler-x-steps.png"), "png");
        }
        List<CellResult> ra = run(plan, cells, a);
        List<CellResult> rb = run(plan, cells, b);
        ReportWriter.write(Summaries.of(plan, cells, ra, a, null, null), plan, ra, a);
        List<byte[]> first = new ArrayList<>();
        for (String f : ReportWriter.FILES) {
            first.add(Files.readAllBytes(a.resolve(f)));
        }
        List<CellResult> reversed = new ArrayList<>(ra);
        Collections.reverse(reversed);
        ReportWriter.write(Summaries.of(plan, cells, reversed, a, null, null), plan, reversed, a);
        ReportWriter.write(Summaries.of(plan, cells, rb, b, null, null), plan, rb, b);
        for (int i = 0; i < ReportWriter.FILES.size(); i++) {
            String f = ReportWriter.FILES.get(i);
            assertArrayEquals(first.get(i), Files.readAllBytes(a.resolve(f)), f + " rewritten");
            assertArrayEquals(first.get(i), Files.readAllBytes(b.resolve(f)), f + " in another folder");
        }
        String md = Files.readString(a.resolve("summary.md"));
        assertTrue(md.contains("![quality-vs-nfe](plots/quality-vs-nfe.png) ([SVG](plots/quality-vs-nfe.svg))"), md);
        assertTrue(md.contains("![sampler-x-steps](grids/sampler-x-steps.png)"), md);
        String html = Files.readString(a.resolve("index.html"));
        assertTrue(html.contains("<img src=\"plots/quality-vs-nfe.png\""), html);
        assertTrue(html.contains("<img src=\"grids/sampler-x-steps.png\""), html);
        try (var files = Files.list(a)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        }
    }

    @Test
    void htmlEscapesTextAndShowsHumanScores() throws IOException {
        Plan plan = new Plan("A <b>bold</b> & \"quoted\" run", "fashion-eps",
                List.of(new Plan.SamplerSpec("euler", Map.of(), "<script>alert(1)</script>")),
                List.of(Plan.SchedulerSpec.of("simple")), List.of(20), List.of(), List.of(3.0),
                List.of(Plan.PromptSpec.of("bag")), List.of(1L, 2L), 1, null, 4, 1, null, "test");
        Cell.Config c = new Cell.Config(plan.samplers().get(0), plan.schedulers().get(0), 20, false, 3);
        Summary s = new Summary(plan.name(), plan.model(), 4, List.of(new Summary.Row(c, 2, 0, 2, 20, 20, time(2),
                0.1, 0.9, 1, Double.NaN, null, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                new Summary.HumanScore(2, 1, 30, 34))), List.of());
        ReportWriter.write(s, plan, List.of(), dir);
        String html = Files.readString(dir.resolve("index.html"));
        assertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), html);
        assertFalse(html.contains("<script>"), html);
        assertTrue(html.contains("<h1>A &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; run</h1>"), html);
        assertTrue(html.contains("<td>average score 15.00 out of 17</td><td>total score 30 out of 34</td>"), html);
        String md = Files.readString(dir.resolve("summary.md"));
        assertTrue(md.contains("Average score 15.00 out of 17 / Total score 30 out of 34 / Average time 2.00 s per picture"
                + " / Average time normalized 1.80 s per picture"), md);
        assertTrue(md.contains("1 image is not fully scored"), md);
    }

    @Test
    void numbersAreShortAndNaNIsADash() {
        assertEquals("–", Format.number(Double.NaN));
        assertEquals("0.0123", Format.number(0.012345));
        assertEquals("1.90", Format.number(1.9));
        assertEquals("12.3", Format.number(12.34));
        assertEquals("1235", Format.number(1234.6));
        assertEquals("1.23e-05", Format.number(1.23e-5));
        assertEquals("0", Format.number(0));
        assertEquals("129.90", Format.seconds(129.9));
        assertEquals("0.0120", Format.seconds(0.012));
        assertEquals("94%", Format.percent(0.94));
    }
}
