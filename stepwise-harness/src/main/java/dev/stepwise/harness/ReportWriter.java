package dev.stepwise.harness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.stepwise.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Writes the report's tables and pages: {@code cells.csv} and {@code cells.json} (one row per finished cell),
 * {@code summary.csv} and {@code summary.json} (one row per configuration, with the convergence verdicts),
 * {@code summary.md} and {@code index.html} (the ranking, times in the community experiment's words,
 * convergence, and the grids and plots found in the report folder). The same inputs give the same bytes: no
 * timestamps, fixed order, '\n' line ends (CRLF in the CSV files, as RFC 4180 has it).
 */
public final class ReportWriter {
    /** The files {@link #write} makes in the report folder. */
    public static final List<String> FILES = List.of("cells.csv", "cells.json", "summary.csv", "summary.json",
            "summary.md", "index.html");

    private static final ObjectWriter JSON = new ObjectMapper().writer(new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n")).withArrayIndenter(new DefaultIndenter("  ", "\n")));
    private static final List<String> KNOWN_METRICS = List.of(CellResult.Metrics.ADHERENCE,
            CellResult.Metrics.PREDICTED_CLASS, CellResult.Metrics.REFERENCE_DISTANCE, CellResult.Metrics.SLICED_W1,
            CellResult.Metrics.NLL);

    private ReportWriter() {
    }

    /**
     * Writes every file of {@link #FILES} into {@code reportDir}, all or none. Write the grids and plots first:
     * the pages link the ones they find.
     */
    public static void write(Summary summary, Plan plan, List<CellResult> results, Path reportDir) throws IOException {
        List<CellResult> cells = unique(plan, results);
        Ranking ranking = Ranking.of(summary);
        Map<Path, byte[]> files = new LinkedHashMap<>();
        files.put(reportDir.resolve("cells.csv"), utf8(cellsCsv(plan, cells)));
        files.put(reportDir.resolve("cells.json"), utf8(json(cellsJson(plan, cells))));
        files.put(reportDir.resolve("summary.csv"), utf8(summaryCsv(summary, ranking)));
        files.put(reportDir.resolve("summary.json"), utf8(json(summaryJson(summary, ranking))));
        List<Block> page = page(summary, plan, ranking, reportDir);
        files.put(reportDir.resolve("summary.md"), utf8(markdown(page)));
        files.put(reportDir.resolve("index.html"), utf8(html(summary.title(), page)));
        AtomicFiles.write(files);
    }

    /** Each cell once (the first result of an id), in plan order. */
    private static List<CellResult> unique(Plan plan, List<CellResult> results) {
        Map<String, CellResult> byId = new LinkedHashMap<>();
        results.forEach(r -> byId.putIfAbsent(r.id(), r));
        List<CellResult> out = new ArrayList<>(byId.values());
        out.sort(PlanOrder.results(plan));
        return out;
    }

    // ---------------------------------------------------------------- cells

    private static List<String> metricNames(List<CellResult> cells) {
        TreeSet<String> other = new TreeSet<>();
        cells.forEach(r -> other.addAll(r.metrics().keySet()));
        List<String> names = new ArrayList<>();
        for (String k : KNOWN_METRICS) {
            if (other.remove(k)) {
                names.add(k);
            }
        }
        names.addAll(other);
        return names;
    }

    private static String cellsCsv(Plan plan, List<CellResult> cells) {
        List<String> metrics = metricNames(cells);
        List<String> header = new ArrayList<>(List.of("id", "sampler", "scheduler", "steps", "nfe_budget", "cfg",
                "prompt", "negative", "seed", "nfe", "network_calls", "steps_run", "seconds", "network_seconds",
                "cell_seconds"));
        header.addAll(metrics);
        header.addAll(List.of("image", "samples", "error"));
        StringBuilder out = new StringBuilder();
        Csv.row(out, header);
        for (CellResult r : cells) {
            Cell c = r.cell();
            Plan.PromptSpec p = prompt(plan, c);
            List<String> row = new ArrayList<>(List.of(r.id(), c.config().sampler().label(), c.config().scheduler().label(),
                    Integer.toString(c.steps()), c.config().byNfe() ? Integer.toString(c.config().stepAxis()) : "",
                    Cell.plain(c.config().cfg()), p.prompt(), p.negative(), Long.toString(c.seed()), Long.toString(r.nfe()),
                    Long.toString(r.networkCalls()), Integer.toString(r.stepsRun()), raw(r.seconds()),
                    raw(r.networkSeconds()), raw(r.cellSeconds())));
            metrics.forEach(m -> row.add(raw(r.metric(m))));
            row.addAll(List.of(r.image(), r.samples(), r.error()));
            Csv.row(out, row);
        }
        return out.toString();
    }

    private static List<Object> cellsJson(Plan plan, List<CellResult> cells) {
        List<Object> out = new ArrayList<>();
        for (CellResult r : cells) {
            Cell c = r.cell();
            Plan.PromptSpec p = prompt(plan, c);
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("id", r.id());
            o.put("sampler", c.config().sampler().label());
            o.put("scheduler", c.config().scheduler().label());
            o.put("steps", c.steps());
            o.put("nfe_budget", c.config().byNfe() ? c.config().stepAxis() : null);
            o.put("cfg", c.config().cfg());
            o.put("prompt", p.prompt());
            o.put("negative", p.negative());
            o.put("seed", c.seed());
            o.put("nfe", r.nfe());
            o.put("network_calls", r.networkCalls());
            o.put("steps_run", r.stepsRun());
            o.put("seconds", finite(r.seconds()));
            o.put("network_seconds", finite(r.networkSeconds()));
            o.put("cell_seconds", finite(r.cellSeconds()));
            Map<String, Object> m = new LinkedHashMap<>();
            metricNames(List.of(r)).forEach(k -> m.put(k, finite(r.metric(k))));
            o.put("metrics", m);
            o.put("image", r.image());
            o.put("samples", r.samples());
            o.put("error", r.error());
            out.add(o);
        }
        return out;
    }

    private static Plan.PromptSpec prompt(Plan plan, Cell c) {
        return c.prompt() < plan.prompts().size() ? plan.prompts().get(c.prompt()) : new Plan.PromptSpec("", "");
    }

    // ---------------------------------------------------------------- summary tables

    private static final List<String> SUMMARY_COLUMNS = List.of("rank", "sampler", "scheduler", "steps", "nfe_budget",
            "cfg", "cells", "failed", "images", "nfe", "time_mean", "time_normalized", "time_dropped", "time_median",
            "time_std", "time_p10", "time_p90", "seconds_per_call", "model_share", "adherence", "frechet",
            "frechet_unavailable", "frechet_low", "frechet_high", "sliced_w1", "nll", "reference_distance", "change", "human_images", "human_unscored",
            "human_total", "human_possible", "convergence");

    private static String summaryCsv(Summary s, Ranking ranking) {
        StringBuilder out = new StringBuilder();
        Csv.row(out, SUMMARY_COLUMNS);
        for (Map<String, Object> row : summaryRows(s, ranking)) {
            List<String> fields = new ArrayList<>();
            for (String k : SUMMARY_COLUMNS) {
                Object v = row.get(k);
                fields.add(v == null ? "" : v instanceof Double d ? raw(d) : v.toString());
            }
            Csv.row(out, fields);
        }
        return out.toString();
    }

    private static List<Map<String, Object>> summaryRows(Summary s, Ranking ranking) {
        List<Summary.Row> ranked = ranking.sort(s.rows());
        List<Map<String, Object>> out = new ArrayList<>();
        for (Summary.Row r : s.rows()) {
            Cell.Config c = r.config();
            Summary.Timing t = r.time();
            Summary.HumanScore h = r.human();
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("rank", ranked.indexOf(r) + 1);
            o.put("sampler", c.sampler().label());
            o.put("scheduler", c.scheduler().label());
            o.put("steps", r.steps());
            o.put("nfe_budget", c.byNfe() ? c.stepAxis() : null);
            o.put("cfg", c.cfg());
            o.put("cells", r.cells());
            o.put("failed", r.failed());
            o.put("images", r.images());
            o.put("nfe", finite(r.nfe()));
            o.put("time_mean", finite(t.mean()));
            o.put("time_normalized", finite(t.normalized()));
            o.put("time_dropped", t.dropped());
            o.put("time_median", finite(t.median()));
            o.put("time_std", finite(t.std()));
            o.put("time_p10", finite(t.p10()));
            o.put("time_p90", finite(t.p90()));
            o.put("seconds_per_call", finite(r.secondsPerCall()));
            o.put("model_share", finite(r.modelShare()));
            o.put("adherence", finite(r.adherence()));
            o.put("frechet", finite(r.frechet()));
            double[] interval = r.frechetInterval();
            o.put("frechet_low", interval == null ? null : interval[0]);
            o.put("frechet_high", interval == null ? null : interval[1]);
            o.put("frechet_unavailable", r.frechetUnavailable());
            o.put("sliced_w1", finite(r.slicedW1()));
            o.put("nll", finite(r.nll()));
            o.put("reference_distance", finite(r.referenceDistance()));
            o.put("change", finite(r.change()));
            o.put("human_images", h == null ? null : h.images());
            o.put("human_unscored", h == null ? null : h.unscored());
            o.put("human_total", h == null ? null : h.total());
            o.put("human_possible", h == null ? null : h.possible());
            o.put("convergence", convergenceOf(s, c).verdict());
            out.add(o);
        }
        return out;
    }

    private static Summary.Convergence convergenceOf(Summary s, Cell.Config c) {
        for (Summary.Convergence v : s.convergence()) {
            if (v.sampler().equals(c.sampler().label()) && v.scheduler().equals(c.scheduler().label()) && v.cfg() == c.cfg()) {
                return v;
            }
        }
        return new Summary.Convergence(c.sampler().label(), c.scheduler().label(), c.cfg(), Double.NaN, false, "");
    }

    private static Map<String, Object> summaryJson(Summary s, Ranking ranking) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("title", s.title());
        o.put("model", s.model());
        o.put("drop_slowest", s.dropSlowest());
        o.put("ranked_by", ranking.description);
        o.put("rows", summaryRows(s, ranking));
        List<Object> conv = new ArrayList<>();
        for (Summary.Convergence v : s.convergence()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sampler", v.sampler());
            m.put("scheduler", v.scheduler());
            m.put("cfg", v.cfg());
            m.put("slope", finite(v.slope()));
            m.put("converges", v.converges());
            m.put("verdict", v.verdict());
            conv.add(m);
        }
        o.put("convergence", conv);
        List<Map<String, Object>> base = new ArrayList<>();
        for (Summary.Baseline b : s.baselines()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prompt", b.prompt());
            m.put("samples", b.samples());
            m.put("sets", b.sets());
            m.put("sliced_w1", finite(b.slicedW1()));
            m.put("sliced_w1_std", finite(b.w1Std()));
            m.put("nll", finite(b.nll()));
            m.put("nll_std", finite(b.nllStd()));
            base.add(m);
        }
        o.put("exact_sample_baselines", base);
        if (!s.metricsNote().isEmpty()) {
            o.put("metrics_note", s.metricsNote());
        }
        return o;
    }

    // ---------------------------------------------------------------- ranking

    /** How the ranking sorts: by the main quality figure the model has. */
    enum Ranking {
        HUMAN("the human checklist score (higher is better), then prompt adherence and Fréchet distance", "prompt adherence",
                Comparator.comparing((Summary.Row r) -> r.human() == null ? Double.NaN : -r.human().average(),
                                ReportWriter::nanLast)
                        .thenComparing(r -> -r.adherence(), ReportWriter::nanLast)
                        .thenComparing(Summary.Row::frechet, ReportWriter::nanLast)),
        IMAGE("prompt adherence (higher is better), then Fréchet distance (lower is better)", "prompt adherence",
                Comparator.comparing((Summary.Row r) -> -r.adherence(), ReportWriter::nanLast)
                        .thenComparing(Summary.Row::frechet, ReportWriter::nanLast)
                        .thenComparing(Summary.Row::referenceDistance, ReportWriter::nanLast)),
        MIXTURE("sliced Wasserstein-1 distance to the exact target (lower is better)", "sliced W1",
                Comparator.comparing(Summary.Row::slicedW1, ReportWriter::nanLast)),
        REFERENCE("distance to the converged reference (lower is better)", "",
                Comparator.comparing(Summary.Row::referenceDistance, ReportWriter::nanLast)),
        PLAN("plan order (no quality figure was measured)", "", (a, b) -> 0);

        final String description;
        final Comparator<Summary.Row> order;
        /** The main quality figure's name in the by-sampler table. */
        final String figure;

        Ranking(String description, String figure, Comparator<Summary.Row> order) {
            this.description = description;
            this.figure = figure;
            this.order = order;
        }

        /** The main quality figure of a row, formatted, or null when the ranking has none besides the reference. */
        String figureOf(Summary.Row r) {
            return switch (this) {
                case HUMAN, IMAGE -> Format.percent(r.adherence());
                case MIXTURE -> Format.number(r.slicedW1());
                case REFERENCE, PLAN -> null;
            };
        }

        static Ranking of(Summary s) {
            if (s.rows().stream().anyMatch(r -> r.human() != null && r.human().images() > 0)) {
                return HUMAN;
            }
            if (s.rows().stream().anyMatch(r -> !Double.isNaN(r.adherence()))) {
                return IMAGE;
            }
            if (s.rows().stream().anyMatch(r -> !Double.isNaN(r.slicedW1()))) {
                return MIXTURE;
            }
            if (s.rows().stream().anyMatch(r -> !Double.isNaN(r.referenceDistance()))) {
                return REFERENCE;
            }
            return PLAN;
        }

        /** The rows best first; ties keep plan order. */
        List<Summary.Row> sort(List<Summary.Row> rows) {
            List<Summary.Row> out = new ArrayList<>(rows);
            out.sort(order);
            return out;
        }
    }

    private static int nanLast(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Boolean.compare(Double.isNaN(a), Double.isNaN(b));
        }
        return Double.compare(a, b);
    }

    // ---------------------------------------------------------------- the page (Markdown and HTML)

    private sealed interface Block permits Heading, Para, Table, Items, Figures {
    }

    private record Heading(int level, String text) implements Block {
    }

    private record Para(String text) implements Block {
    }

    private record Table(List<String> header, List<List<String>> rows) implements Block {
    }

    /** A list of "label: text" items. */
    private record Items(List<String[]> items) implements Block {
    }

    /** Images by path relative to the report folder, each with an optional second format to link. */
    private record Figures(List<String[]> figures) implements Block {
    }

    private static List<Block> page(Summary s, Plan plan, Ranking ranking, Path reportDir) throws IOException {
        List<Block> page = new ArrayList<>();
        page.add(new Heading(1, s.title()));
        page.add(new Para(whatRan(s, plan)));
        if (!s.metricsNote().isEmpty()) {
            page.add(new Para(s.metricsNote()));
        }
        String reference = referenceNote(plan, reportDir);
        if (!reference.isEmpty()) {
            page.add(new Para(reference));
        }
        if (!s.baselines().isEmpty()) {
            page.add(new Para(baselineNote(s.baselines())));
        }

        page.add(new Heading(2, "Ranking"));
        page.add(new Para("Ranked by " + ranking.description + ". Times are the sampling wall time per image; the "
                + "normalized average leaves out the " + s.dropSlowest() + " slowest images of each configuration "
                + "(model loading and warm-up), as the community experiment did. Change is the RMS distance to the "
                + "same sampler's images at the previous " + (plan.byNfe() ? "NFE budget" : "step count")
                + " (same prompt and seed)." + ((ranking == Ranking.HUMAN || ranking == Ranking.IMAGE)
                && s.rows().stream().anyMatch(r -> !Double.isNaN(r.frechet())) ? " FD is the classifier-feature Fréchet "
                + "distance of a configuration's images to real test images; it is biased upward by a small image "
                + "count (it needs hundreds of images to settle), so compare it only between rows with as many images. In brackets: "
                + "FD ± 1.96 bootstrap standard errors (" + Summaries.FD_RESAMPLES + " resamples of the images), the spread "
                + "that other images of the same configuration would give; rows that share their noise differ by less."
                : "")));
        page.add(rankingTable(s, plan, ranking));
        String unavailable = frechetUnavailable(ranking.sort(s.rows()));
        if (!unavailable.isEmpty()) {
            page.add(new Para(unavailable));
        }
        if (plan.stepAxis().size() > 1) {
            page.add(new Heading(2, "By sampler"));
            page.add(new Para("The same figures side by side, one row per sampler in plan order and one column group per "
                    + (plan.byNfe() ? "NFE budget" : "step count") + ": NFE used, " + (ranking.figure.isEmpty() ? "" : ranking.figure + ", ")
                    + "distance to the converged reference, and the normalized seconds per image."));
            page.addAll(samplerTables(s, plan, ranking));
        }
        long unscored = s.rows().stream().filter(r -> r.human() != null).mapToLong(r -> r.human().unscored()).sum();
        if (unscored > 0) {
            page.add(new Para(count((int) unscored, "image") + (unscored == 1 ? " is" : " are") + " not fully scored in " + ScoringSheet.SCORES
                    + " and are left out of the human scores."));
        }

        page.add(new Heading(2, "Time like the community experiment"));
        List<String[]> time = new ArrayList<>();
        for (Summary.Row r : ranking.sort(s.rows())) {
            time.add(new String[] {r.config().label(), Format.experimentLine(r)});
        }
        page.add(new Items(time));

        page.add(new Heading(2, "Convergence"));
        page.add(new Para("Slope of log(change) against log(NFE) over the step axis; below "
                + Cell.plain(Summary.Convergence.CONVERGING_SLOPE) + " counts as converging. Ancestral "
                + "samplers draw fresh noise at every step and keep changing; SDE samplers driven by a Brownian tree "
                + "converge to their own SDE solution, which is not the ODE reference (their reference distance "
                + "stays large)."));
        List<List<String>> conv = new ArrayList<>();
        for (Summary.Convergence v : s.convergence()) {
            conv.add(List.of(v.sampler(), v.scheduler(), Cell.plain(v.cfg()), Format.number(v.slope()), v.verdict()));
        }
        page.add(new Table(List.of("sampler", "scheduler", "cfg", "slope", "verdict"), conv));

        List<String[]> failures = new ArrayList<>();
        for (Summary.Row r : s.rows()) {
            if (r.failed() > 0) {
                failures.add(new String[] {r.config().label(), r.failed() + " of " + r.cells()
                        + " cells failed; their messages are in cells.csv"});
            }
        }
        if (!failures.isEmpty()) {
            page.add(new Heading(2, "Failures"));
            page.add(new Items(failures));
        }

        List<String[]> grids = figures(reportDir, "grids");
        if (!grids.isEmpty()) {
            page.add(new Heading(2, "Grids"));
            page.add(new Figures(grids));
        }
        List<String[]> plots = figures(reportDir, "plots");
        if (!plots.isEmpty()) {
            page.add(new Heading(2, "Plots"));
            page.add(new Figures(plots));
        }
        return page;
    }

    private static String whatRan(Summary s, Plan plan) {
        int cells = 0;
        int failed = 0;
        int images = 0;
        for (Summary.Row r : s.rows()) {
            cells += r.cells();
            failed += r.failed();
            images += r.images();
        }
        int batch = Math.max(1, plan.batch());
        int finished = images / batch + failed;
        String axis = plan.byNfe() ? "NFE budget" : "step count";
        return "Model " + s.model() + ". " + count(s.rows().size(), "configuration") + " ("
                + count(plan.samplers().size(), "sampler") + " × " + count(plan.schedulers().size(), "scheduler")
                + (plan.schedulers().stream().anyMatch(sc -> !sc.samplers().isEmpty()) ? " (some with their samplers only)" : "")
                + " × "
                + count(plan.stepAxis().size(), axis) + " × " + count(plan.cfg().size(), "cfg value") + "), each over "
                + count(plan.prompts().size(), "prompt") + " × " + count(plan.seeds().size(), "seed")
                + (batch > 1 ? " with " + batch + " samples per cell" : "") + ": " + count(cells, "cell") + ", "
                + finished + " finished" + (failed > 0 ? " (" + failed + " failed)" : "") + ", "
                + count(images, batch > 1 ? "sample" : "image")
                + ".";
    }

    /** "1 seed", "8 seeds". */
    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    private static Table rankingTable(Summary s, Plan plan, Ranking ranking) {
        List<Summary.Row> rows = ranking.sort(s.rows());
        boolean adherence = any(rows, Summary.Row::adherence);
        boolean frechet = any(rows, Summary.Row::frechet);
        boolean w1 = any(rows, Summary.Row::slicedW1);
        boolean nll = any(rows, Summary.Row::nll);
        boolean ref = any(rows, Summary.Row::referenceDistance);
        boolean change = any(rows, Summary.Row::change);
        boolean human = rows.stream().anyMatch(r -> r.human() != null);
        boolean failed = rows.stream().anyMatch(r -> r.failed() > 0);

        List<String> header = new ArrayList<>(List.of("#", "sampler", "scheduler"));
        if (plan.byNfe()) {
            header.add("NFE budget");
        }
        header.addAll(List.of("steps", "cfg", "NFE"));
        if (adherence) {
            header.add("adherence");
        }
        if (frechet) {
            header.add("FD");
        }
        if (w1) {
            header.add("sliced W1");
        }
        if (nll) {
            header.add("NLL");
        }
        if (ref) {
            header.add("ref. distance");
        }
        if (change) {
            header.add("change");
        }
        header.addAll(List.of("avg s/image", "normalized s/image (drop " + s.dropSlowest() + ")", "median",
                "spread (p10–p90)", "s/model call"));
        if (human) {
            header.addAll(List.of("average score", "total score"));
        }
        if (failed) {
            header.add("failed");
        }
        List<List<String>> body = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Summary.Row r = rows.get(i);
            Cell.Config c = r.config();
            List<String> row = new ArrayList<>(List.of(Integer.toString(i + 1), c.sampler().label(), c.scheduler().label()));
            if (plan.byNfe()) {
                row.add(Integer.toString(c.stepAxis()));
            }
            row.addAll(List.of(Integer.toString(r.steps()), Cell.plain(c.cfg()), nfe(r.nfe())));
            if (adherence) {
                row.add(Format.percent(r.adherence()));
            }
            if (frechet) {
                double[] interval = r.frechetInterval();
                row.add(r.frechetUnavailable() != null ? FRECHET_NA : interval == null ? Format.number(r.frechet())
                        : Format.number(r.frechet()) + " (" + Format.number(interval[0]) + "–" + Format.number(interval[1]) + ")");
            }
            if (w1) {
                row.add(Format.number(r.slicedW1()));
            }
            if (nll) {
                row.add(Format.number(r.nll()));
            }
            if (ref) {
                row.add(Format.number(r.referenceDistance()));
            }
            if (change) {
                row.add(Format.number(r.change()));
            }
            Summary.Timing t = r.time();
            row.addAll(List.of(Format.seconds(t.mean()), Format.seconds(t.normalized()), Format.seconds(t.median()),
                    t.count() == 0 ? Format.NONE : Format.seconds(t.p10()) + "–" + Format.seconds(t.p90()),
                    Format.seconds(r.secondsPerCall())));
            if (human) {
                row.add(Format.averageScore(r.human()));
                row.add(Format.totalScore(r.human()));
            }
            if (failed) {
                row.add(r.failed() == 0 ? "0" : r.failed() + " of " + r.cells());
            }
            body.add(row);
        }
        return new Table(header, body);
    }

    /** The ranking table's FD entry for a configuration whose FD is not available (the note below says why). */
    private static final String FRECHET_NA = "n/a";

    /**
     * Why FD is not available, one sentence per reason with the configurations it applies to (none named when
     * it applies to all): empty when every image configuration has its FD.
     */
    private static String frechetUnavailable(List<Summary.Row> rows) {
        Map<String, List<String>> byReason = new LinkedHashMap<>();
        for (Summary.Row r : rows) {
            if (r.frechetUnavailable() != null) {
                byReason.computeIfAbsent(r.frechetUnavailable(), k -> new ArrayList<>()).add(r.config().label());
            }
        }
        List<String> sentences = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : byReason.entrySet()) {
            String which = e.getValue().size() == rows.size() ? "" : " for " + String.join(", ", e.getValue());
            sentences.add("FD is not available" + which + ": " + e.getKey() + ".");
        }
        return String.join(" ", sentences);
    }

    /**
     * What the reference distance is measured against, and how accurate the references are: the RMS difference
     * between each reference and the same solve at half the steps (for a method of order p that is about
     * 2^p - 1 times the reference's own error, so an upper bound).
     */
    private static String referenceNote(Plan plan, Path reportDir) throws IOException {
        Plan.ReferenceSpec r = plan.reference();
        if (r == null) {
            return "";
        }
        double[] errors = References.readAll(reportDir.resolve(CellStore.REFERENCES)).stream()
                .mapToDouble(References.Accuracy::selfError).filter(e -> !Double.isNaN(e)).sorted().toArray();
        String text = "Reference distance: the RMS distance per value to a converged solve of the probability-flow ODE "
                + "from the same starting noise (same prompt, negative, cfg and seed) by " + r.sampler() + " / "
                + r.scheduler() + " / " + r.steps() + " steps.";
        if (errors.length > 0) {
            text += " The " + count(errors.length, "reference") + " differ from the same solve at half the steps by "
                    + Format.number(errors[errors.length / 2]) + " (median) and " + Format.number(errors[errors.length - 1])
                    + " (largest), an upper bound on their own error.";
        }
        return text;
    }

    /** "Exact samples of the target score ...": the floor a sampler's figures are read against. */
    private static String baselineNote(List<Summary.Baseline> baselines) {
        Summary.Baseline first = baselines.get(0);
        StringBuilder b = new StringBuilder("Exact samples of the target (" + count(first.sets(), "set") + " of "
                + first.samples() + ") score");
        for (int i = 0; i < baselines.size(); i++) {
            Summary.Baseline x = baselines.get(i);
            b.append(i == 0 ? " " : "; ").append("prompt \"").append(x.prompt()).append("\": ");
            List<String> parts = new ArrayList<>();
            if (!Double.isNaN(x.slicedW1())) {
                parts.add("sliced W1 " + Format.number(x.slicedW1()) + " ± " + Format.number(x.w1Std()));
            }
            if (!Double.isNaN(x.nll())) {
                parts.add("NLL " + Format.number(x.nll()) + " ± " + Format.number(x.nllStd()));
            }
            b.append(parts.isEmpty() ? Format.NONE : String.join(", ", parts));
        }
        return b.append(". A sampler at the sliced W1 floor is as close as its sample size can show; an NLL below the "
                + "exact samples' means samples crowded into high-density regions (too little spread), not a better "
                + "sampler.").toString();
    }

    /** One table per scheduler x cfg: rows = samplers in plan order, a column group per step-axis value. */
    private static List<Block> samplerTables(Summary s, Plan plan, Ranking ranking) {
        Map<String, Map<String, Map<Integer, Summary.Row>>> groups = new LinkedHashMap<>();
        for (Summary.Row r : s.rows()) {
            Cell.Config c = r.config();
            groups.computeIfAbsent(c.scheduler().label() + " / cfg " + Cell.plain(c.cfg()), k -> new LinkedHashMap<>())
                    .computeIfAbsent(c.sampler().label(), k -> new LinkedHashMap<>()).put(c.stepAxis(), r);
        }
        boolean figure = !ranking.figure.isEmpty();
        List<Block> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, Map<Integer, Summary.Row>>> g : groups.entrySet()) {
            if (groups.size() > 1) {
                out.add(new Heading(3, g.getKey()));
            }
            List<String> header = new ArrayList<>(List.of("sampler"));
            for (int v : plan.stepAxis()) {
                String at = " @" + v;
                header.add("NFE" + at);
                if (figure) {
                    header.add(ranking.figure + at);
                }
                header.add("ref. distance" + at);
                header.add("s/image" + at);
            }
            List<List<String>> body = new ArrayList<>();
            for (Map.Entry<String, Map<Integer, Summary.Row>> e : g.getValue().entrySet()) {
                List<String> row = new ArrayList<>(List.of(e.getKey()));
                for (int v : plan.stepAxis()) {
                    Summary.Row r = e.getValue().get(v);
                    row.add(r == null ? Format.NONE : nfe(r.nfe()));
                    if (figure) {
                        row.add(r == null ? Format.NONE : ranking.figureOf(r));
                    }
                    row.add(r == null ? Format.NONE : Format.number(r.referenceDistance()));
                    row.add(r == null ? Format.NONE : Format.seconds(r.time().normalized()));
                }
                body.add(row);
            }
            out.add(new Table(header, body));
        }
        return out;
    }

    private static boolean any(List<Summary.Row> rows, java.util.function.ToDoubleFunction<Summary.Row> f) {
        return rows.stream().anyMatch(r -> !Double.isNaN(f.applyAsDouble(r)));
    }

    private static String nfe(double v) {
        if (Double.isNaN(v)) {
            return Format.NONE;
        }
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }

    /** The images in a report subfolder, by name: PNG (with the SVG of the same name linked) or SVG alone. */
    private static List<String[]> figures(Path reportDir, String folder) throws IOException {
        Path dir = reportDir.resolve(folder);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        TreeSet<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
                    .forEach(names::add);
        }
        List<String[]> out = new ArrayList<>();
        for (String n : names) {
            String lower = n.toLowerCase(Locale.ROOT);
            if (lower.endsWith(".png")) {
                String svg = n.substring(0, n.length() - 4) + ".svg";
                out.add(new String[] {folder + "/" + n, names.contains(svg) ? folder + "/" + svg : null});
            } else if (lower.endsWith(".svg") && !names.contains(n.substring(0, n.length() - 4) + ".png")) {
                out.add(new String[] {folder + "/" + n, null});
            }
        }
        return out;
    }

    private static String markdown(List<Block> page) {
        StringBuilder out = new StringBuilder();
        for (Block b : page) {
            if (!out.isEmpty()) {
                out.append('\n');
            }
            switch (b) {
                case Heading h -> out.append("#".repeat(h.level())).append(' ').append(mdText(h.text())).append('\n');
                case Para p -> out.append(mdText(p.text())).append('\n');
                case Table t -> {
                    mdRow(out, t.header());
                    out.append('|');
                    t.header().forEach(h -> out.append("---|"));
                    out.append('\n');
                    t.rows().forEach(r -> mdRow(out, r));
                }
                case Items l -> l.items().forEach(i -> out.append("- **").append(mdText(i[0])).append("**: ")
                        .append(mdText(i[1])).append('\n'));
                case Figures f -> f.figures().forEach(i -> {
                    out.append("![").append(mdText(name(i[0]))).append("](").append(i[0]).append(')');
                    if (i[1] != null) {
                        out.append(" ([SVG](").append(i[1]).append("))");
                    }
                    out.append("\n\n");
                });
            }
        }
        return out.toString().stripTrailing() + "\n";
    }

    private static void mdRow(StringBuilder out, List<String> cells) {
        out.append('|');
        cells.forEach(c -> out.append(' ').append(mdText(c).replace("|", "\\|")).append(" |"));
        out.append('\n');
    }

    /** Markdown text on one line, with the characters that would start markup escaped. */
    private static String mdText(String s) {
        return s.replace("\r", " ").replace("\n", " ").replace("\\", "\\\\").replace("*", "\\*")
                .replace("<", "&lt;").replace("[", "\\[").replace("]", "\\]").replace("`", "\\`");
    }

    private static String name(String path) {
        String n = path.substring(path.lastIndexOf('/') + 1);
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    private static final String CSS = """
            body{font-family:system-ui,sans-serif;margin:2em auto;max-width:80em;padding:0 1em;color:#222}
            table{border-collapse:collapse;margin:1em 0;font-size:.9em}
            th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
            th{background:#f3f3f3}
            tr:nth-child(even) td{background:#fafafa}
            figure{margin:1em 0}
            img{max-width:100%}
            """;

    private static String html(String title, List<Block> page) {
        StringBuilder out = new StringBuilder();
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(esc(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        for (Block b : page) {
            switch (b) {
                case Heading h -> out.append("<h").append(h.level()).append('>').append(esc(h.text())).append("</h")
                        .append(h.level()).append(">\n");
                case Para p -> out.append("<p>").append(esc(p.text())).append("</p>\n");
                case Table t -> {
                    out.append("<table>\n<thead><tr>");
                    t.header().forEach(h -> out.append("<th>").append(esc(h)).append("</th>"));
                    out.append("</tr></thead>\n<tbody>\n");
                    for (List<String> r : t.rows()) {
                        out.append("<tr>");
                        r.forEach(c -> out.append("<td>").append(esc(c)).append("</td>"));
                        out.append("</tr>\n");
                    }
                    out.append("</tbody>\n</table>\n");
                }
                case Items l -> {
                    out.append("<ul>\n");
                    l.items().forEach(i -> out.append("<li><b>").append(esc(i[0])).append("</b>: ").append(esc(i[1]))
                            .append("</li>\n"));
                    out.append("</ul>\n");
                }
                case Figures f -> f.figures().forEach(i -> {
                    out.append("<figure><img src=\"").append(esc(i[0])).append("\" alt=\"").append(esc(name(i[0])))
                            .append("\"><figcaption>").append(esc(name(i[0])));
                    if (i[1] != null) {
                        out.append(" (<a href=\"").append(esc(i[1])).append("\">SVG</a>)");
                    }
                    out.append("</figcaption></figure>\n");
                });
            }
        }
        return out.append("</body>\n</html>\n").toString();
    }

    private static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- values

    /** A number for CSV: full precision, whole numbers without ".0", NaN as an empty field. */
    private static String raw(double v) {
        if (Double.isNaN(v)) {
            return "";
        }
        return Cell.plain(v);
    }

    /** JSON has no NaN: null instead. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static String json(Object value) throws JsonProcessingException {
        return JSON.writeValueAsString(value) + "\n";
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
