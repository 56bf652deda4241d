package dev.stepwise.harness;

import java.util.List;

/**
 * The report's figures: one {@link Row} per configuration (sampler x scheduler x step axis x cfg), aggregated
 * over its cells (prompts x seeds), and one {@link Convergence} per sampler x scheduler x cfg across the step
 * axis. Made from the cell results alone, so a resumed run reports exactly what an uninterrupted one does.
 *
 * @param title       the plan's name
 * @param model       the model's name
 * @param dropSlowest images left out of the normalized time
 * @param rows        in plan order (samplers, then schedulers, then step axis, then cfg)
 * @param convergence in plan order
 * @param baselines   analytic models: what exact samples of the target score, per prompt (empty otherwise)
 * @param metricsNote which quality figures the model cannot have and why ({@link ModelSource#metricsNote}), or ""
 */
public record Summary(String title, String model, int dropSlowest, List<Row> rows, List<Convergence> convergence,
                      List<Baseline> baselines, String metricsNote) {

    public Summary {
        rows = List.copyOf(rows);
        convergence = List.copyOf(convergence);
        baselines = List.copyOf(baselines);
        metricsNote = metricsNote == null ? "" : metricsNote;
    }

    /** A summary of a model that has every quality figure. */
    public Summary(String title, String model, int dropSlowest, List<Row> rows, List<Convergence> convergence,
                   List<Baseline> baselines) {
        this(title, model, dropSlowest, rows, convergence, baselines, "");
    }

    /** A summary without baselines. */
    public Summary(String title, String model, int dropSlowest, List<Row> rows, List<Convergence> convergence) {
        this(title, model, dropSlowest, rows, convergence, List.of());
    }

    /** This summary with the given baselines. */
    public Summary withBaselines(List<Baseline> b) {
        return new Summary(title, model, dropSlowest, rows, convergence, b, metricsNote);
    }

    /** This summary with the note on the quality figures its model cannot have. */
    public Summary withMetricsNote(String note) {
        return new Summary(title, model, dropSlowest, rows, convergence, baselines, note);
    }

    /**
     * What exact samples of an analytic target score on the per-cell quality figures, so that a sampler's figures
     * can be read against them: the sliced W1 of exact samples is not 0 but their own sampling noise, and a
     * sampler's NLL below the exact samples' means samples crowded into high-density regions, not a better sampler.
     *
     * @param prompt   the prompt as written ("" = unconditional)
     * @param samples  rows per set (the plan's batch)
     * @param sets     independent sets drawn
     * @param slicedW1 mean sliced W1 of the sets (NaN when the figure does not apply)
     * @param w1Std    its standard deviation over the sets
     * @param nll      mean NLL of the sets (NaN when it does not apply)
     * @param nllStd   its standard deviation over the sets
     */
    public record Baseline(String prompt, int samples, int sets, double slicedW1, double w1Std, double nll,
                           double nllStd) {
    }

    /**
     * Wall-time statistics of per-image times, in seconds.
     *
     * @param count      images timed
     * @param mean       average
     * @param normalized average without the {@code dropped} slowest images (the community experiment's
     *                   "normalized" time, which leaves out model loading and first-prompt parsing)
     * @param dropped    images left out of {@code normalized} (min(dropSlowest, count - 1))
     * @param median     median
     * @param std        sample standard deviation (0 for one image)
     * @param p10        10th percentile (linear interpolation)
     * @param p90        90th percentile
     */
    public record Timing(int count, double mean, double normalized, int dropped, double median, double std,
                         double p10, double p90) {
    }

    /**
     * Human scores of a configuration's images from a filled-in scoring sheet: "average score X out of Y,
     * total score X out of Y", counted over the images that were scored.
     *
     * @param images   images with every criterion scored
     * @param unscored images with a criterion left blank (not counted)
     * @param total    sum of the 0/1 scores
     * @param possible sum of the criteria counts of the scored images
     */
    public record HumanScore(int images, int unscored, int total, int possible) {
        /** The average score per image, "X" of "average score X out of Y". */
        public double average() {
            return images == 0 ? Double.NaN : (double) total / images;
        }

        /** The average criteria per image, "Y" of "average score X out of Y". */
        public double averagePossible() {
            return images == 0 ? Double.NaN : (double) possible / images;
        }
    }

    /**
     * One configuration's figures. Quality figures are NaN where they do not apply to the model or no cell
     * produced them.
     *
     * @param config            the configuration
     * @param cells             cells in the plan for this configuration
     * @param failed            cells whose sampler failed (their message is in the cell files)
     * @param images            rows made (cells x batch, failed cells excluded)
     * @param steps             steps walked (the step count, or what the NFE budget allowed)
     * @param nfe               mean model calls per image run (per cell)
     * @param time              per-image wall time of the sampling
     * @param secondsPerCall    sampling wall time per model call
     * @param modelShare        share of the sampling time spent inside the model
     * @param adherence         image models: prompt adherence, mean over images
     * @param frechet           image models: classifier-feature Fréchet distance of all the configuration's images
     *                          to the classifier's real-image statistics; NaN when not available
     * @param frechetUnavailable why there is no Fréchet distance for an image model with a classifier (too few
     *                          images, non-finite features; see {@code FrechetDistance.Reference}), else null
     * @param slicedW1          analytic mixtures: mean over cells of the sliced W1 distance to the exact target
     * @param nll               analytic mixtures: mean negative log-likelihood under the exact target
     * @param referenceDistance mean RMS distance to the converged reference of the same prompt, cfg and seed
     * @param change            mean RMS distance to the same sampler's images at the previous step-axis value (same
     *                          scheduler, cfg, prompt and seed); NaN for the first value
     * @param human             human scores, or null when no scoring sheet was filled in
     */
    public record Row(Cell.Config config, int cells, int failed, int images, int steps, double nfe, Timing time,
                      double secondsPerCall, double modelShare, double adherence, double frechet,
                      String frechetUnavailable, double slicedW1, double nll, double referenceDistance, double change,
                      HumanScore human, double frechetError) {
        /** A row without a bootstrap error for its FD. */
        public Row(Cell.Config config, int cells, int failed, int images, int steps, double nfe, Timing time,
                   double secondsPerCall, double modelShare, double adherence, double frechet, String frechetUnavailable,
                   double slicedW1, double nll, double referenceDistance, double change, HumanScore human) {
            this(config, cells, failed, images, steps, nfe, time, secondsPerCall, modelShare, adherence, frechet,
                    frechetUnavailable, slicedW1, nll, referenceDistance, change, human, Double.NaN);
        }

        /** The 95 % interval FD +- 1.96 bootstrap standard errors, or null without an error. */
        public double[] frechetInterval() {
            return Double.isFinite(frechetError) ? new double[] {frechet - 1.96 * frechetError, frechet + 1.96 * frechetError}
                    : null;
        }
    }

    /**
     * Whether a sampler (with a scheduler and cfg) converges as the step axis grows: the fitted slope of
     * log(change) against log(NFE) over the step-axis values, and the verdict drawn from it.
     *
     * @param sampler   sampler configuration label
     * @param scheduler scheduler configuration label
     * @param cfg       guidance scale
     * @param slope     least-squares slope of log(change) vs log(mean NFE); NaN with fewer than two points
     * @param converges true when the change falls with NFE (slope below {@link #CONVERGING_SLOPE})
     * @param verdict   one line for the report, e.g. "converges (change ~ NFE^-2.1)" or "keeps changing"
     */
    public record Convergence(String sampler, String scheduler, double cfg, double slope, boolean converges,
                              String verdict) {
        /** Slopes below this count as converging: the change shrinks at least like NFE^-0.5. */
        public static final double CONVERGING_SLOPE = -0.5;
    }
}
