package dev.stepwise.cli;

import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.measure.OrderMeasurement;
import dev.stepwise.core.measure.SamplerBenchmark;
import dev.stepwise.core.measure.SamplerBenchmark.ErrorAtNfe;
import dev.stepwise.core.measure.SamplerBenchmark.Row;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.harness.Catalogue;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code stepwise measure samplers}: every registered sampler (or those named) measured on the fixed analytic
 * benchmarks of {@link SamplerBenchmark}, written as a Markdown or CSV table. Samplers are measured in parallel
 * on a small pool; every result depends only on fixed seeds, so the table is the same whatever the order.
 */
@Command(name = "measure", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Measure every registered sampler's order of accuracy and its error at 10, 20 and 40 model "
                + "calls on fixed analytic benchmarks, and write the table.",
        footer = {"", "Exit codes: 0 done, 1 a failure while writing, 2 bad input (nothing written).", "",
                "Example:", "  stepwise measure samplers --out docs/samplers.md"})
final class MeasureCommand implements Callable<Integer> {

    enum What { samplers }

    enum Format { md, csv }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "WHAT", description = "samplers")
    What what;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the table here. Default: standard output." + Outputs.FILE_RULE)
    Path out;

    @Option(names = "--format", paramLabel = "md|csv", defaultValue = "md", description = "Table format: md or csv. Default: ${DEFAULT-VALUE}.")
    Format format;

    @Option(names = "--samplers", paramLabel = "A,B,...", split = ",",
            description = "Measure only these samplers (registry names). Default: every registered sampler.")
    List<String> samplers;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2",
            description = "Samplers measured at once (>= 1). Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--no-progress", description = "Never show the progress bar (it shows only on a terminal).")
    boolean noProgress;

    @Override
    public Integer call() throws IOException, InterruptedException {
        List<SamplerInfo> selected = selected(samplers);
        if (threads < 1) {
            throw new UsageException("--threads " + threads + " is not allowed; threads must be at least 1");
        }
        if (out != null) {
            Outputs.checkFile("--out", out, format == Format.csv ? "samplers.csv" : "samplers.md");
        }
        long start = System.nanoTime();
        boolean anyStochastic = selected.stream().anyMatch(SamplerInfo::stochastic);
        List<Row> rows = measureAll(selected, anyStochastic);
        double[] floor = anyStochastic ? SamplerBenchmark.noiseFloor() : null;
        String command = "stepwise " + commandArgs();
        String text = format == Format.csv ? csv(rows, floor) : markdown(rows, floor, command, LocalDate.now(ZoneOffset.UTC).toString());
        PrintWriter stdout = spec.commandLine().getOut();
        if (out == null) {
            stdout.print(text);
        } else {
            LinkedHashMap<Path, byte[]> files = new LinkedHashMap<>();
            files.put(out, text.getBytes(StandardCharsets.UTF_8));
            try {
                AtomicFiles.write(files);
            } catch (IOException e) {
                throw new IOException("cannot write " + out + ": " + e, e);
            }
            stdout.printf(Locale.ROOT, "measured %d samplers in %.1f s -> %s%n", rows.size(),
                    (System.nanoTime() - start) / 1e9, out);
        }
        stdout.flush();
        return 0;
    }

    /** The samplers named (each once, in registry order), or every registered one; an unknown name is bad input. */
    static List<SamplerInfo> selected(List<String> names) {
        if (names == null) {
            return Samplers.all();
        }
        LinkedHashSet<String> wanted = new LinkedHashSet<>();
        for (String n : names) {
            String name = n.strip();
            if (name.isEmpty()) {
                continue;
            }
            if (!Samplers.names().contains(name)) {
                throw new UsageException("--samplers: unknown sampler '" + name + "'; allowed: "
                        + String.join(", ", Samplers.names()));
            }
            wanted.add(name);
        }
        if (wanted.isEmpty()) {
            throw new UsageException("--samplers names no sampler; allowed: " + String.join(", ", Samplers.names()));
        }
        return Samplers.all().stream().filter(s -> wanted.contains(s.name())).toList();
    }

    /** Measures the samplers on the pool; the noise floor, when needed, is computed there too (it is cached). */
    private List<Row> measureAll(List<SamplerInfo> selected, boolean floor) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, selected.size()), r -> {
            Thread t = new Thread(r, "stepwise-measure");
            t.setDaemon(true);
            return t;
        });
        ProgressBar bar = Progress.shown(!noProgress) ? Progress.bar("measuring", selected.size(), " samplers") : null;
        try {
            ExecutorCompletionService<Row> done = new ExecutorCompletionService<>(pool);
            List<Future<Row>> futures = new ArrayList<>();
            Future<double[]> floorDone = floor ? pool.submit(SamplerBenchmark::noiseFloor) : null;
            for (SamplerInfo info : selected) {
                futures.add(done.submit(() -> SamplerBenchmark.measure(info, SamplerBenchmark.BUDGETS)));
            }
            for (int i = 0; i < selected.size(); i++) {
                done.take();
                if (bar != null) {
                    bar.step();
                }
            }
            List<Row> rows = new ArrayList<>();
            for (Future<Row> f : futures) {
                rows.add(f.get());
            }
            if (floorDone != null) {
                floorDone.get();
            }
            return rows;
        } catch (ExecutionException e) {
            // measure() reports a sampler's failure in its row; anything else here is a bug.
            throw new IllegalStateException("measurement failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            throw new CancellationException("interrupted");
        } finally {
            pool.shutdownNow();
            if (bar != null) {
                bar.close();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- Markdown

    static String markdown(List<Row> rows, double[] floor, String command, String date) {
        StringBuilder b = new StringBuilder();
        b.append("# Samplers, measured\n\n");
        b.append("Generated by `").append(command).append("` on ").append(date).append(" (Stepwise ").append(Version.get())
                .append("); do not edit by hand, rerun the command. Every number below is measured by that command on an ")
                .append("exact analytic model, with each sampler's default parameters.\n\n");
        b.append("## Benchmarks\n\n");
        b.append("- **Measured order** (deterministic samplers, and stochastic ones at `eta=0`, their probability-flow ODE): "
                + "the data is N(mu, s^2 I) with mu = (1, -2, 0.5), s = 0.5, whose probability-flow ODE has the exact "
                + "solution x(sigma) - mu = (x(sigma_max) - mu) sqrt((s^2 + sigma^2) / (s^2 + sigma_max^2)). "
                + OrderMeasurement.ROWS + " fixed rows start at sigma_max = " + num(OrderMeasurement.SIGMA_MAX)
                + " and walk a Karras (rho = 7) list down to sigma_end = " + num(OrderMeasurement.SIGMA_END)
                + " (no final step onto 0) at N = round(8 * 2^(k/2)) steps, 8 to 724; the order is the least-squares "
                + "slope of log error against log N over the finest window N, 2N, 4N, 8N whose errors are all at least "
                + sci(OrderMeasurement.ERROR_FLOOR) + " (float32 limits finer fits). For deterministic samplers "
                + "the test suite requires it within 0.3 of the listed order (DeterministicOrderTest).\n");
        b.append("- **Error, deterministic samplers**: the RMS distance, over all " + OrderMeasurement.ROWS * 3
                + " values, between the sampler's result at sigma_end and the exact ODE solution, on the same problem "
                + "and list.\n");
        b.append("- **Error, stochastic samplers**: the sliced Wasserstein-1 distance (" + SamplerBenchmark.DIRECTIONS
                + " evenly spaced directions, each 1-D distance computed exactly against the projected mixture's CDF) "
                + "between the sampler's " + SamplerBenchmark.MIXTURE_ROWS + " samples and the exact data: a ring of 8 "
                + "equally weighted Gaussians (std 0.25, means on a circle of radius 4, the CLI's built-in model). "
                + "The runs start from exact samples of the noised data at sigma = " + num(SamplerBenchmark.MIXTURE_SIGMA_MAX)
                + " and walk a Karras (rho = 7) list down to " + num(SamplerBenchmark.MIXTURE_SIGMA_MIN)
                + ", then 0, with each sampler's default step noise.");
        if (floor != null) {
            b.append(String.format(Locale.ROOT, " **Noise floor**: exact samples of the same size score %.4f, with a "
                    + "standard deviation of %.4f between sample sets (%d sets); a single run's distance carries noise "
                    + "of that size, so distances below about %.3f (floor + 2 sd) cannot be told from exact sampling, "
                    + "and differences under about %.3f between samplers are not resolved.",
                    floor[0], floor[1], SamplerBenchmark.FLOOR_REPEATS, floor[0] + 2 * floor[1], 2 * Math.sqrt(2) * floor[1]));
        }
        b.append('\n');
        b.append("- **NFE budget**: a budget of B model calls runs the largest step count whose listed NFE is at most B; "
                + "a cell shows the calls actually made when they fall short of B. Adaptive samplers choose their own "
                + "steps: they run once with their default tolerances and the calls they used are given in the notes.\n\n");
        List<Row> deterministic = rows.stream().filter(r -> r.metric() == SamplerBenchmark.Metric.ODE_RMS).toList();
        List<Row> stochastic = rows.stream().filter(r -> r.metric() == SamplerBenchmark.Metric.SLICED_W1).toList();
        if (!deterministic.isEmpty()) {
            b.append("## Deterministic samplers (error: RMS distance to the exact ODE solution)\n\n");
            table(b, deterministic, "measured order");
        }
        if (!stochastic.isEmpty()) {
            b.append("## Stochastic samplers (error: sliced W1 to the exact mixture)\n\n");
            table(b, stochastic, "measured order (eta=0)");
        }
        return b.toString();
    }

    private static void table(StringBuilder b, List<Row> rows, String orderHeader) {
        List<String> header = new ArrayList<>(List.of("sampler", "listed order", orderHeader, "NFE per step (listed)", "kind"));
        for (int budget : SamplerBenchmark.BUDGETS) {
            header.add("error @ " + budget + " NFE");
        }
        header.add("notes");
        b.append("| ").append(String.join(" | ", header)).append(" |\n");
        b.append("|").append(" --- |".repeat(header.size())).append('\n');
        for (Row r : rows) {
            List<String> cells = new ArrayList<>();
            cells.add("`" + r.info().name() + "`");
            cells.add(Integer.toString(r.info().order()));
            cells.add(Double.isNaN(r.order()) ? "—" : String.format(Locale.ROOT, "%.2f", r.order()));
            cells.add(nfePerStep(r.info()));
            cells.add(Catalogue.kind(r.info()));
            for (int i = 0; i < SamplerBenchmark.BUDGETS.length; i++) {
                cells.add(i < r.errors().size() ? errorCell(r.errors().get(i)) : "—");
            }
            cells.add(notes(r));
            b.append("| ").append(cells.stream().map(MeasureCommand::escape).collect(Collectors.joining(" | "))).append(" |\n");
        }
        b.append('\n');
    }

    /** As {@code stepwise list samplers} gives it. */
    static String nfePerStep(SamplerInfo s) {
        return Catalogue.calls(s);
    }

    private static String errorCell(ErrorAtNfe e) {
        if (e.steps() == 0) {
            return "—";
        }
        String v = Double.isNaN(e.error()) ? "not finite" : sci(e.error());
        return e.nfe() == e.budget() ? v : v + " (" + e.nfe() + " NFE)";
    }

    private static String notes(Row r) {
        List<String> notes = new ArrayList<>();
        if (r.orderNote().equals("stochastic")) {
            notes.add("no eta parameter: order not measured");
        } else if (!r.orderNote().isEmpty() && !r.orderNote().equals("adaptive")) {
            notes.add("order: " + r.orderNote());
        }
        if (r.adaptiveRun() != null) {
            ErrorAtNfe a = r.adaptiveRun();
            notes.add("adaptive: error " + (Double.isNaN(a.error()) ? "not finite" : sci(a.error())) + " with "
                    + a.nfe() + " NFE (default tolerances)");
        }
        for (ErrorAtNfe e : r.errors()) {
            if (e.steps() == 0) {
                notes.add("one step needs more than " + e.budget() + " NFE");
                break;
            }
        }
        if (!r.failure().isEmpty()) {
            notes.add("failed: " + r.failure());
        }
        return String.join("; ", notes);
    }

    private static String escape(String cell) {
        return cell.replace("|", "\\|").replace("\n", " ");
    }

    // ---------------------------------------------------------------------------------------------- CSV

    /** One line per sampler; sliced-W1 rows carry the noise floor (mean, sd) that their errors are to be read against. */
    static String csv(List<Row> rows, double[] floor) {
        StringBuilder b = new StringBuilder();
        List<String> header = new ArrayList<>(List.of("sampler", "listed_order", "measured_order", "order_parameters",
                "nfe_per_step", "kind", "metric"));
        for (int budget : SamplerBenchmark.BUDGETS) {
            header.add("error_" + budget + "nfe");
            header.add("steps_" + budget + "nfe");
            header.add("nfe_" + budget + "nfe");
        }
        header.add("adaptive_error");
        header.add("adaptive_nfe");
        header.add("noise_floor");
        header.add("noise_floor_sd");
        header.add("notes");
        b.append(String.join(",", header)).append('\n');
        for (Row r : rows) {
            List<String> cells = new ArrayList<>();
            cells.add(r.info().name());
            cells.add(Integer.toString(r.info().order()));
            cells.add(Double.isNaN(r.order()) ? "" : String.format(Locale.ROOT, "%.4f", r.order()));
            cells.add(r.orderParameters().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(";")));
            cells.add(nfePerStep(r.info()));
            cells.add(Catalogue.kind(r.info()));
            cells.add(r.metric() == SamplerBenchmark.Metric.ODE_RMS ? "ode_rms" : "sliced_w1");
            for (int i = 0; i < SamplerBenchmark.BUDGETS.length; i++) {
                ErrorAtNfe e = i < r.errors().size() ? r.errors().get(i) : null;
                boolean ran = e != null && e.steps() > 0;
                cells.add(ran && !Double.isNaN(e.error()) ? String.format(Locale.ROOT, "%.6e", e.error()) : "");
                cells.add(ran ? Integer.toString(e.steps()) : "");
                cells.add(ran ? Long.toString(e.nfe()) : "");
            }
            ErrorAtNfe a = r.adaptiveRun();
            cells.add(a != null && !Double.isNaN(a.error()) ? String.format(Locale.ROOT, "%.6e", a.error()) : "");
            cells.add(a != null ? Long.toString(a.nfe()) : "");
            boolean sliced = r.metric() == SamplerBenchmark.Metric.SLICED_W1 && floor != null;
            cells.add(sliced ? String.format(Locale.ROOT, "%.6e", floor[0]) : "");
            cells.add(sliced ? String.format(Locale.ROOT, "%.6e", floor[1]) : "");
            cells.add(notes(r));
            b.append(cells.stream().map(MeasureCommand::csvCell).collect(Collectors.joining(","))).append('\n');
        }
        return b.toString();
    }

    private static String csvCell(String v) {
        return v.contains(",") || v.contains("\"") || v.contains("\n") ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private static String sci(double v) {
        return String.format(Locale.ROOT, "%.2e", v);
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private String commandArgs() {
        return Main.quoted(spec.commandLine().getParseResult().originalArgs());
    }
}
