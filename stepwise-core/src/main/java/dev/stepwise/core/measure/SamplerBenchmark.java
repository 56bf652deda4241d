package dev.stepwise.core.measure;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.noise.BrownianTreeNoise;
import dev.stepwise.core.noise.NoiseSampler;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.sampling.SamplerInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * A sampler's measured facts on two fixed analytic benchmarks, with its default parameters: the order of
 * accuracy, and the error it reaches for a budget of model calls (NFE).
 *
 * <p><b>ODE benchmark</b> (deterministic samplers, and the order of every sampler that has one): the
 * probability-flow ODE of data N(mu, s^2 I), mu = (1, -2, 0.5), s = 0.5, whose solution is
 * x(sigma) - mu = (x(sigma_max) - mu) sqrt((s^2 + sigma^2) / (s^2 + sigma_max^2)); 1024 fixed rows start at
 * sigma_max = 80 and walk a Karras (rho = 7) list down to sigma_end = 0.05, without the step onto 0 (see
 * {@link OrderMeasurement}). The order is {@link OrderMeasurement}'s least-squares fit; the error is the RMS
 * distance, over all 3072 values, between the result and the exact x(sigma_end).
 *
 * <p><b>Mixture benchmark</b> (stochastic samplers): data is the ring of 8 equally weighted Gaussians (std 0.25,
 * means on a circle of radius 4, the CLI's built-in model); 16384 exact samples of the noised data at sigma = 80
 * (seed 1) walk a Karras (rho = 7) list from 80 to 0.002 and then 0, with the sampler's default step noise (a
 * Brownian tree for the samplers flagged so, else a torch generator; seed 2); the error is the sliced Wasserstein-1
 * distance over 32 directions between the result and the exact data distribution ({@link SlicedWasserstein}).
 * Exact samples of the same size score {@link #noiseFloor()}: distances near it are not resolved.
 *
 * <p>A budget of B model calls runs the largest step count whose listed NFE ({@link SamplerInfo#expectedNfe}) is at
 * most B. Adaptive samplers choose their own steps: they run once, with their default tolerances, over the same
 * interval, and report the calls they used.
 */
public final class SamplerBenchmark {
    /** The budgets the table reports. */
    public static final int[] BUDGETS = {10, 20, 40};
    /** Rows of the mixture benchmark (the noise floor falls like 1 / sqrt(rows): about 0.02 here). */
    public static final int MIXTURE_ROWS = 16384;
    /** Projections of the sliced distance. */
    public static final int DIRECTIONS = 32;
    public static final double MIXTURE_SIGMA_MIN = 0.002;
    public static final double MIXTURE_SIGMA_MAX = 80;
    public static final long START_SEED = 1;
    public static final long NOISE_SEED = 2;
    /** Sample sets averaged for the noise floor. */
    public static final int FLOOR_REPEATS = 8;
    /** The mixture benchmark's data: 8 Gaussians, std 0.25, on a circle of radius 4. */
    public static final GaussianMixture RING = ring();

    private static final SlicedWasserstein SLICED = new SlicedWasserstein(RING, DIRECTIONS);
    private static double[] floor;

    private SamplerBenchmark() {
    }

    /** Which error a row's budgets report. */
    public enum Metric {
        /** RMS distance to the exact ODE endpoint at sigma_end on the Gaussian. */
        ODE_RMS,
        /** Sliced Wasserstein-1 distance to the exact mixture. */
        SLICED_W1
    }

    /**
     * One run at a budget: the step count used (0 when even one step needs more calls than the budget, then
     * nfe is 0 and error NaN), the model calls counted, and the error (NaN if the result was not finite).
     */
    public record ErrorAtNfe(int budget, int steps, long nfe, double error) {
    }

    /**
     * A sampler's measurements.
     *
     * @param order           measured order, NaN when there is none (see orderNote)
     * @param orderParameters the parameters the order was measured with: none, or eta = 0 for a stochastic
     *                        sampler that has eta (its probability-flow ODE)
     * @param orderNote       why there is no order, or what limits it; empty when nothing needs saying
     * @param errors          one entry per budget asked for (empty for adaptive samplers)
     * @param adaptiveRun     the adaptive sampler's one run (budget 0, its own calls), else null
     * @param failure         the first error message when a run failed, else empty
     */
    public record Row(SamplerInfo info, Metric metric, double order, Map<String, Object> orderParameters,
                      String orderNote, List<ErrorAtNfe> errors, ErrorAtNfe adaptiveRun, String failure) {
    }

    /** Measures {@code info} with its default parameters: order and the error at each budget. */
    public static Row measure(SamplerInfo info, int[] budgets) {
        Metric metric = info.stochastic() ? Metric.SLICED_W1 : Metric.ODE_RMS;
        String failure = "";
        double order = Double.NaN;
        Map<String, Object> orderParameters = Map.of();
        String orderNote = "";
        boolean hasEta = info.parameters().stream().anyMatch(p -> p.name().equals("eta"));
        if (info.adaptive()) {
            orderNote = "adaptive";
        } else if (info.stochastic() && !hasEta) {
            orderNote = "stochastic";
        } else {
            if (info.stochastic()) {
                orderParameters = Map.of("eta", 0);
            }
            try {
                OrderMeasurement.Result r = OrderMeasurement.measure(info, orderParameters);
                if (!r.linear()) {
                    orderNote = info.stochastic() ? "still stochastic at eta=0" : "not the linear ODE map";
                } else if (Double.isNaN(r.order())) {
                    orderNote = String.format(Locale.ROOT, "errors below %.0e at every step count fitted",
                            OrderMeasurement.ERROR_FLOOR);
                } else {
                    order = r.order();
                }
            } catch (RuntimeException e) {
                failure = message(e);
                orderNote = "failed";
            }
        }
        List<ErrorAtNfe> errors = new ArrayList<>();
        ErrorAtNfe adaptiveRun = null;
        try {
            if (info.adaptive()) {
                adaptiveRun = run(info, metric, 0, 10);
            } else {
                for (int budget : budgets) {
                    int steps = stepsFor(info, budget, metric == Metric.ODE_RMS ? SamplerBenchmark::odeSigmas
                            : SamplerBenchmark::mixtureSigmas);
                    errors.add(steps == 0 ? new ErrorAtNfe(budget, 0, 0, Double.NaN) : run(info, metric, budget, steps));
                }
            }
        } catch (RuntimeException e) {
            if (failure.isEmpty()) {
                failure = message(e);
            }
        }
        return new Row(info, metric, order, orderParameters, orderNote, List.copyOf(errors), adaptiveRun, failure);
    }

    /** The largest step count whose listed NFE is at most {@code budget} (0 when none is). */
    public static int stepsFor(SamplerInfo info, int budget, IntFunction<double[]> sigmasForSteps) {
        int best = 0;
        // NFE grows with the step count for every rule in use; scanning past the budget keeps that an observation.
        for (int n = 1; n <= 2 * budget; n++) {
            if (info.expectedNfe(sigmasForSteps.apply(n)) <= budget) {
                best = n;
            }
        }
        return best;
    }

    /** The ODE benchmark's sigma list for n steps: Karras from 80 to 0.05, no final 0. */
    public static double[] odeSigmas(int steps) {
        return Runs.karrasWithoutZero(OrderMeasurement.SIGMA_END, OrderMeasurement.SIGMA_MAX, steps);
    }

    /** The mixture benchmark's sigma list for n steps: Karras from 80 to 0.002, then 0. */
    public static double[] mixtureSigmas(int steps) {
        return Runs.karrasWithZero(MIXTURE_SIGMA_MIN, MIXTURE_SIGMA_MAX, steps);
    }

    /** The RMS distance to the exact ODE endpoint after {@code steps} steps of the ODE benchmark, and the calls. */
    public static ErrorAtNfe odeError(SamplerInfo info, Map<String, ?> parameters, int budget, int steps) {
        ClosedFormGaussian problem = new ClosedFormGaussian(OrderMeasurement.MEAN, OrderMeasurement.STD);
        float[] start = Runs.startAt(OrderMeasurement.MEAN, OrderMeasurement.SIGMA_MAX, OrderMeasurement.ROWS, 7);
        Runs.Result r = Runs.run(info, parameters, problem.model(), start, odeSigmas(steps), 0);
        double[] exact = problem.odeSolution(start, OrderMeasurement.SIGMA_MAX, OrderMeasurement.SIGMA_END);
        return new ErrorAtNfe(budget, steps, r.calls().nfe(), ClosedFormGaussian.rmsError(r.x(), exact));
    }

    /** The sliced W1 distance to the ring after {@code steps} steps of the mixture benchmark, and the calls. */
    public static ErrorAtNfe mixtureError(SamplerInfo info, Map<String, ?> parameters, int budget, int steps) {
        double[] sigmas = mixtureSigmas(steps);
        double[][] rows = RING.sample(MIXTURE_ROWS, MIXTURE_SIGMA_MAX, Conditioning.NONE, new TorchGenerator(START_SEED));
        float[] start = new float[rows.length * RING.dim()];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < RING.dim(); j++) {
                start[i * RING.dim() + j] = (float) rows[i][j];
            }
        }
        Model model = RING.model("ring");
        Runs.Result r = Runs.run(info, parameters, model, start, sigmas, stepNoise(info, sigmas, start.length), 1, true, null);
        return new ErrorAtNfe(budget, steps, r.calls().nfe(), SLICED.distance(r.x()));
    }

    /**
     * The distance exact samples of the mixture benchmark's size score: mean and standard deviation over
     * {@link #FLOOR_REPEATS} independent sets. Computed once.
     */
    public static synchronized double[] noiseFloor() {
        if (floor == null) {
            floor = SLICED.floor(RING, MIXTURE_ROWS, FLOOR_REPEATS);
        }
        return floor.clone();
    }

    private static ErrorAtNfe run(SamplerInfo info, Metric metric, int budget, int steps) {
        return metric == Metric.ODE_RMS ? odeError(info, Map.of(), budget, steps) : mixtureError(info, Map.of(), budget, steps);
    }

    /** The sampler's default step noise, as the library forms it: a Brownian tree for the samplers flagged so. */
    private static NoiseSampler stepNoise(SamplerInfo info, double[] sigmas, int size) {
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (double s : sigmas) {
            if (s > 0) {
                lo = Math.min(lo, s);
                hi = Math.max(hi, s);
            }
        }
        if (info.brownianNoise() && lo < hi) {
            return new BrownianTreeNoise(NOISE_SEED, lo, hi, size);
        }
        return NoiseSampler.sequential(new TorchGenerator(NOISE_SEED));
    }

    private static GaussianMixture ring() {
        List<GaussianMixture.Component> cs = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            double a = 2 * Math.PI * k / 8;
            cs.add(new GaussianMixture.Component(1, new double[] {4 * Math.cos(a), 4 * Math.sin(a)}, 0.25, null));
        }
        return new GaussianMixture(2, cs, MIXTURE_SIGMA_MIN, MIXTURE_SIGMA_MAX);
    }

    private static String message(RuntimeException e) {
        String m = e.getMessage();
        return (m == null || m.isBlank() ? e.getClass().getSimpleName() : m.strip().lines().findFirst().orElse("")).strip();
    }
}
