package dev.stepwise.harness;

import java.util.Map;
import java.util.Objects;

/**
 * What one finished cell measured. Written atomically as one JSON file when the cell is done; the reports
 * are made from these files alone.
 *
 * @param id               the cell's id
 * @param cell             the cell
 * @param nfe              model calls the sampler made (guided calls: a cond+uncond pair counts once, as ComfyUI
 *                         and the registry count them)
 * @param networkCalls     network forward passes (cond and uncond passes separately when not batched)
 * @param stepsRun         sampler steps walked (sigmas - 1)
 * @param seconds          wall time of the sampling, all rows of the cell
 * @param networkSeconds   wall time inside the network (the model) during the sampling
 * @param cellSeconds      wall time of the whole cell: sampling, metrics and writing its files
 * @param metrics          per-cell quality figures by {@link Metrics} name, mean over the cell's rows where per-row
 *                         (absent when they do not apply to the model)
 * @param features         classifier features of each row ([batch][F]) for the Fréchet distance, or null
 * @param image            the cell's image (PNG) relative to the report folder, or "" when none
 * @param samples          the cell's final samples (.npy, [batch, shape...]) relative to the report folder
 * @param error            the failure message if the sampler failed (then metrics are empty), else ""
 */
public record CellResult(String id, Cell cell, long nfe, long networkCalls, int stepsRun, double seconds,
                         double networkSeconds, double cellSeconds, Map<String, Double> metrics, double[][] features,
                         String image, String samples, String error) {
    public CellResult {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(cell, "cell");
        metrics = Map.copyOf(metrics);
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(samples, "samples");
        Objects.requireNonNull(error, "error");
    }

    public boolean failed() {
        return !error.isEmpty();
    }

    /** The metric's value, or NaN when the cell has none. */
    public double metric(String name) {
        Double v = metrics.get(name);
        return v == null ? Double.NaN : v;
    }

    /** The names of per-cell metrics. */
    public static final class Metrics {
        /** Image models: share of rows whose classifier argmax is the prompted class (0 or 1 at batch 1). */
        public static final String ADHERENCE = "adherence";
        /** Image models: the classifier's predicted class of row 0. */
        public static final String PREDICTED_CLASS = "predicted_class";
        /** Any model: RMS distance per value to the converged reference of the same prompt, cfg and seed. */
        public static final String REFERENCE_DISTANCE = "reference_distance";
        /** Analytic 2-D mixtures: sliced Wasserstein-1 distance of the cell's rows to the exact target. */
        public static final String SLICED_W1 = "sliced_w1";
        /** Analytic mixtures: mean negative log-likelihood of the rows under the exact target density. */
        public static final String NLL = "nll";

        private Metrics() {
        }
    }
}
