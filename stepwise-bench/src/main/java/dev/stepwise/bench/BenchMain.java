package dev.stepwise.bench;

import dev.stepwise.core.samplers.Samplers;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The benchmark jar's entry point: JMH's own command line (so {@code -prof gc}, {@code -wi}, {@code -i},
 * {@code -f}, {@code -p sampler=euler,heun} all work), with every registered sampler benchmarked unless
 * {@code -p sampler=...} picks some, and a closing table of the cost per step.
 *
 * <p>Per step means the difference between runs of 30 and of 10 steps divided by 20, so the run's fixed cost
 * (allocating the sampler's buffers, the first model call) drops out; with {@code -prof gc} the same is done
 * for the bytes allocated.
 */
public final class BenchMain {
    private static final Set<String> JMH_ONLY = Set.of("-h", "-l", "-lp", "-lprof", "-lrf");

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        for (String a : args) {
            if (JMH_ONLY.contains(a)) {
                org.openjdk.jmh.Main.main(args);
                return;
            }
        }
        CommandLineOptions cli = new CommandLineOptions(args);
        OptionsBuilder options = new OptionsBuilder();
        options.parent(cli);
        if (!cli.getParameter("sampler").hasValue()) {
            options.param("sampler", Samplers.names().toArray(String[]::new));
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        summary(results);
    }

    /** Per-sampler time and allocation per step, from the 10- and 30-step runs. */
    static void summary(Collection<RunResult> results) {
        Map<String, Map<Integer, RunResult>> bySampler = new TreeMap<>();
        for (RunResult r : results) {
            if (!r.getParams().getBenchmark().endsWith("SamplerStepBench.run")) {
                continue;
            }
            String key = r.getParams().getParam("sampler");
            if (!"1".equals(r.getParams().getParam("cfg")) && !"1.0".equals(r.getParams().getParam("cfg"))) {
                key += " (cfg " + r.getParams().getParam("cfg") + ")";
            }
            bySampler.computeIfAbsent(key, k -> new TreeMap<>())
                    .put(Integer.parseInt(r.getParams().getParam("steps")), r);
        }
        if (bySampler.isEmpty()) {
            return;
        }
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-28s %12s %14s %16s", "sampler", "ms/step", "alloc B/step", "alloc B/run fixed"));
        for (Map.Entry<String, Map<Integer, RunResult>> e : bySampler.entrySet()) {
            Map<Integer, RunResult> runs = e.getValue();
            RunResult shortRun = runs.get(10), longRun = runs.get(30);
            if (shortRun == null || longRun == null) {
                continue;
            }
            double msPerStep = (longRun.getPrimaryResult().getScore() - shortRun.getPrimaryResult().getScore()) / 20;
            double aShort = allocation(shortRun), aLong = allocation(longRun);
            String perStep = Double.isNaN(aShort) ? "(-prof gc)" : String.format(Locale.ROOT, "%.0f", (aLong - aShort) / 20);
            String fixed = Double.isNaN(aShort) ? "" : String.format(Locale.ROOT, "%.0f", aShort - 10 * (aLong - aShort) / 20);
            lines.add(String.format(Locale.ROOT, "%-28s %12.4f %14s %16s", e.getKey(), msPerStep, perStep, fixed));
        }
        System.out.println();
        System.out.println("Cost per step on a [1, 4, 128, 128] latent with a zero-cost model ((30-step run - 10-step run) / 20):");
        lines.forEach(System.out::println);
    }

    /** Bytes allocated per run (JMH's gc.alloc.rate.norm), or NaN without -prof gc. */
    private static double allocation(RunResult r) {
        for (String key : r.getSecondaryResults().keySet()) {
            if (key.endsWith("gc.alloc.rate.norm")) {
                return r.getSecondaryResults().get(key).getScore();
            }
        }
        return Double.NaN;
    }
}
