package dev.stepwise.harness.fit;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.harness.Summary;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What {@code stepwise tune} decides besides running a comparison: which schedules are candidates on a model,
 * which quality figure ranks them, and the ranking itself.
 */
public final class Tuning {
    /** The published Stable Diffusion tables' top level (SD1.x and SDXL share it: scaled_linear 0.00085..0.012). */
    static final double SD_SIGMA_MAX = 14.6146412293;
    /** The generic schedulers of ComfyUI's list: they fit any model, since they read only its sigma range and table. */
    public static final List<String> GENERIC = List.of("normal", "karras", "exponential", "sgm_uniform", "simple",
            "ddim_uniform", "beta", "linear_quadratic", "kl_optimal");
    /** Samplers tune tries unless told otherwise: the deterministic one-call-per-step samplers fitted lists serve. */
    public static final List<String> DEFAULT_SAMPLERS = List.of("euler", "dpmpp_2m", "deis", "ipndm", "uni_pc");

    private Tuning() {
    }

    /**
     * A registry schedule as a plan entry: a scheduler name with parameters (a published table's choice).
     *
     * @param label how the report names it
     */
    public record Table(String name, Map<String, Object> parameters, String label) {
    }

    /**
     * The published tables that fit the model's noise schedule: Align-Your-Steps' SD1 and SDXL lists and the GITS
     * SD1.5 table were searched on Stable Diffusion's discrete VP schedule, so they apply where the model has that
     * schedule (its top sigma is the tables' first level); on a flow model or another VP range their levels would
     * be another model's noise levels. They fit the schedule, not necessarily the data.
     */
    public static List<Table> tables(ModelSampling sampling) {
        if (sampling.isFlow() || Math.abs(sampling.sigmaMax() / SD_SIGMA_MAX - 1) > 1e-6) {
            return List.of();
        }
        return List.of(new Table("ays", Map.of("model_type", "sd1"), "ays sd1"),
                new Table("ays", Map.of("model_type", "sdxl"), "ays sdxl"),
                new Table("gits", Map.of(), "gits table"));
    }

    /** The figure a ranking is by; lower is better for every one. */
    public enum Figure {
        /** Classifier-feature Fréchet distance to real images, with its bootstrap interval (image models). */
        FRECHET("FD"),
        /** Sliced W1 to the exact target (analytic mixtures). */
        SLICED_W1("sliced W1"),
        /** RMS distance to the converged reference solve from the same noise (any model). */
        REFERENCE("distance to the converged reference");

        private final String label;

        Figure(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** This figure of a row; NaN where it is missing. */
        public double of(Summary.Row r) {
            return switch (this) {
                case FRECHET -> r.frechet();
                case SLICED_W1 -> r.slicedW1();
                case REFERENCE -> r.referenceDistance();
            };
        }

        /** The row's 95 % interval of this figure, or null where none is estimated. */
        public double[] interval(Summary.Row r) {
            return this == FRECHET ? r.frechetInterval() : null;
        }
    }

    /**
     * The best figure the rows have: FD where any row has one (a model with a classifier), else the exact sliced W1
     * (a mixture), else the distance to the reference.
     *
     * @throws IllegalArgumentException when no row has any of them
     */
    public static Figure figure(List<Summary.Row> rows) {
        for (Figure f : Figure.values()) {
            if (rows.stream().anyMatch(r -> Double.isFinite(f.of(r)))) {
                return f;
            }
        }
        throw new IllegalArgumentException("no configuration has a quality figure (FD, sliced W1 or a reference distance)");
    }

    /**
     * One ranked configuration.
     *
     * @param rank  1 for the best; rows without the figure (failed, not available) rank last, in plan order
     * @param value the figure
     * @param low   its interval's lower end, or NaN
     * @param high  its interval's upper end, or NaN
     */
    public record Ranked(int rank, Summary.Row row, double value, double low, double high) {
        /** Whether the other's interval holds this value (false where it has none). */
        public boolean within(Ranked other) {
            return Double.isFinite(other.low) && value >= other.low && value <= other.high;
        }
    }

    /**
     * The rows by the figure, best first; ties (and rows without it) keep plan order. Adherence is not traded against
     * the figure: it is reported next to it.
     */
    public static List<Ranked> rank(List<Summary.Row> rows, Figure figure) {
        List<Summary.Row> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparingDouble(r -> {
            double v = figure.of(r);
            return r.failed() > 0 || !Double.isFinite(v) ? Double.POSITIVE_INFINITY : v;
        }));
        List<Ranked> out = new ArrayList<>();
        for (Summary.Row r : sorted) {
            double[] ci = figure.interval(r);
            out.add(new Ranked(out.size() + 1, r, figure.of(r), ci == null ? Double.NaN : ci[0], ci == null ? Double.NaN : ci[1]));
        }
        return out;
    }
}
