package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.param.Parameter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * GITS, Geometry-Inspired Time Scheduling (Chen et al. 2024, "On the Trajectory Regularity of ODE-based
 * Diffusion Sampling", ICML): the authors' searched noise levels for Stable Diffusion 1.5, one table per
 * coefficient {@code coeff} (0.80..1.50 in steps of 0.05; larger spends more steps at low noise), as
 * ComfyUI's GITSScheduler node ships them. 2..20 steps take the table's list; other counts resample the
 * 20-step list by log-linear interpolation as ComfyUI does (for 1 step, which ComfyUI's node does not
 * allow, that is [sigma_max, 0]). The last level is then replaced by 0. The lists ignore the model's own
 * sigma range. Data: {@code gits_noise_levels.txt} beside this class.
 */
public record GitsScheduler(double coeff) implements Scheduler {

    /** SD1's sigma_max and sigma_min, which open and close every list (left out of the data file). */
    static final double TOP = 14.61464119, BOTTOM = 0.02916753;
    static final int MIN_TABLE_STEPS = 2, MAX_TABLE_STEPS = 20;

    /** Coefficient in hundredths to the lists for 2..20 steps (index steps - 2), each from TOP to BOTTOM. */
    private static final Map<Integer, double[][]> LEVELS = load();

    public static final SchedulerInfo INFO = new SchedulerInfo("gits",
            "GITS: searched SD1.5 noise levels for 2-20 steps, log-linearly resampled otherwise",
            "Chen et al. 2024, On the Trajectory Regularity of ODE-based Diffusion Sampling (GITS); ComfyUI GITSScheduler",
            List.of(Parameter.real("coeff", 1.20, 0.80, 1.50, "GITS coefficient, a multiple of 0.05")),
            o -> new GitsScheduler(o.real("coeff")));

    public GitsScheduler {
        double hundredths = coeff * 100;
        long key = Math.round(hundredths);
        if (!(Math.abs(hundredths - key) < 1e-6) || !LEVELS.containsKey((int) key)) {
            throw new IllegalArgumentException("scheduler gits: coeff = " + coeff + " is not supported; allowed: "
                    + supportedCoefficients());
        }
    }

    /** The coefficients with tables, as text ("0.80, 0.85, ..., 1.50"). */
    public static String supportedCoefficients() {
        return LEVELS.keySet().stream().map(k -> String.format(Locale.ROOT, "%.2f", k / 100.0))
                .collect(Collectors.joining(", "));
    }

    /** The table's list for 2..20 steps, from sigma_max to sigma_min (steps + 1 levels). */
    public double[] table(int steps) {
        if (steps < MIN_TABLE_STEPS || steps > MAX_TABLE_STEPS) {
            throw new IllegalArgumentException("GITS tables cover " + MIN_TABLE_STEPS + ".." + MAX_TABLE_STEPS
                    + " steps, not " + steps);
        }
        return LEVELS.get((int) Math.round(coeff * 100))[steps - MIN_TABLE_STEPS].clone();
    }

    @Override
    public double[] sigmas(ModelSampling sampling, int steps) {
        Sigmas.requireSteps(steps);
        double[] levels = steps <= MAX_TABLE_STEPS && steps >= MIN_TABLE_STEPS ? table(steps)
                : Sigmas.loglinearInterp(table(MAX_TABLE_STEPS), steps + 1);
        return Sigmas.endingInZero(levels);
    }

    private static Map<Integer, double[][]> load() {
        Map<Integer, double[][]> out = new TreeMap<>();
        try (InputStream in = GitsScheduler.class.getResourceAsStream("gits_noise_levels.txt")) {
            if (in == null) {
                throw new IllegalStateException("gits_noise_levels.txt is missing from the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            Integer key = null;
            List<double[]> rows = new ArrayList<>();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                line = line.trim();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                if (line.startsWith("coeff ")) {
                    store(out, key, rows);
                    key = (int) Math.round(Double.parseDouble(line.substring(6).trim()) * 100);
                    rows = new ArrayList<>();
                    continue;
                }
                String[] parts = line.split("\\s+");
                double[] row = new double[parts.length + 2];
                row[0] = TOP;
                for (int i = 0; i < parts.length; i++) {
                    row[i + 1] = Double.parseDouble(parts[i]);
                }
                row[row.length - 1] = BOTTOM;
                rows.add(row);
            }
            store(out, key, rows);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Collections.unmodifiableMap(out);
    }

    private static void store(Map<Integer, double[][]> out, Integer key, List<double[]> rows) {
        if (key == null) {
            return;
        }
        int expected = MAX_TABLE_STEPS - MIN_TABLE_STEPS + 1;
        if (rows.size() != expected) {
            throw new IllegalStateException("GITS coeff " + key / 100.0 + ": " + rows.size() + " lists, expected " + expected);
        }
        for (int i = 0; i < rows.size(); i++) {
            int steps = i + MIN_TABLE_STEPS;
            if (rows.get(i).length != steps + 1) {
                throw new IllegalStateException("GITS coeff " + key / 100.0 + ", " + steps + " steps: "
                        + rows.get(i).length + " levels, expected " + (steps + 1));
            }
        }
        out.put(key, rows.toArray(new double[0][]));
    }
}
