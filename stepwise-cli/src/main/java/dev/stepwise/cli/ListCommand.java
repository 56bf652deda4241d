package dev.stepwise.cli;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.SchedulerInfo;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.harness.Catalogue;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stepwise list samplers|schedulers}: the registries as tables. */
@Command(name = "list", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "List the registered samplers or schedulers with their properties, parameters and references.",
        footer = {"", "Besides the registered schedulers, every scheduler option and plan takes file:SCHEDULE.json, a"
                + " schedule file (a sigma list fitted to a model): its own step count walks the list exactly, others"
                + " resample it log-linearly (see README.md, \"Schedule files\")."})
final class ListCommand implements Runnable {

    enum What { samplers, schedulers }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "WHAT", description = "samplers or schedulers")
    What what;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        List<String[]> rows = new ArrayList<>();
        if (what == What.samplers) {
            rows.add(new String[] {"NAME", "ORDER", "CALLS/STEP", "KIND", "PARAMETERS (default range)", "REFERENCE"});
            for (SamplerInfo s : Samplers.all()) {
                rows.add(new String[] {s.name(), Integer.toString(s.order()), Catalogue.calls(s), Catalogue.kind(s),
                        parameters(s.parameters()), s.reference()});
            }
        } else {
            rows.add(new String[] {"NAME", "PARAMETERS (default range)", "DESCRIPTION", "REFERENCE"});
            for (SchedulerInfo s : Schedulers.all()) {
                rows.add(new String[] {s.name(), parameters(s.parameters()), s.description(), s.reference()});
            }
        }
        table(out, rows);
        out.flush();
    }

    static String parameters(List<Parameter> ps) {
        if (ps.isEmpty()) {
            return "-";
        }
        return ps.stream().map(p -> p.name() + "=" + defaultText(p) + " " + p.rangeText()).collect(Collectors.joining(", "));
    }

    private static String defaultText(Parameter p) {
        return p.defaultText();
    }

    /** Left-aligned columns separated by two spaces; the last column is not padded. */
    static void table(PrintWriter out, List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int c = 0; c < columns; c++) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                line.append(r[c]);
                if (c + 1 < columns) {
                    line.append(" ".repeat(width[c] - r[c].length() + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
