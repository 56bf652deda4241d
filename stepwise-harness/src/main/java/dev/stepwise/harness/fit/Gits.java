package dev.stepwise.harness.fit;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.guidance.Conditions;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.schedule.KarrasScheduler;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.core.tensor.Vec;
import java.util.Arrays;
import java.util.Locale;

/**
 * Geometry-Inspired Time Scheduling (GITS; Chen et al., ICML 2024, "On the Trajectory Regularity of ODE-based
 * Diffusion Sampling", Section 4 and Algorithm 1): a coarse sigma list chosen from the levels of a fine teacher
 * trajectory by dynamic programming over the cost of one Euler step between any two of them.
 *
 * <ol>
 * <li>{@link #teacher}: a fine sampler (iPNDM, the authors' default) walks {@link #teacherLevels}, a Karras rho = 7
 * list of 61 positive levels over the model's own [sigma_min, sigma_max] (the paper's 0.002..80 is EDM's range),
 * and every state x_0..x_60 is kept. As in the released code ({@code gits_utils.get_dp_list}) the teacher ends at
 * sigma_min and never steps to 0; the chosen list gets the engine's final step to 0 appended, the same for every
 * candidate, so it plays no part in the choice.</li>
 * <li>{@link #costs}: C[i][j], i &lt; j, compares one Euler step from the teacher's x_i to sigma_j with the teacher's
 * x_j, averaged over the samples.</li>
 * <li>{@link #path}: V[j][1] = C[j][L], V[j][k] = min_{j &lt; i &lt; L} C[j][i] + coeff V[i][k - 1], read back from
 * level 0 (the released {@code dp}); coeff &gt; 1 weighs the later, less noisy steps more.</li>
 * </ol>
 */
public final class Gits {
    /** The authors' default DP coefficient (1.20 only for Stable Diffusion, which no built-in model is). */
    public static final double DEFAULT_COEFF = 1.15;
    /** Teacher steps: 61 levels, the authors' {@code num_steps_tea = 61} in every published run. */
    public static final int TEACHER_STEPS = 60;
    /** Warm-up trajectories, the authors' {@code num_warmup}. */
    public static final int DEFAULT_WARMUP = 256;
    /** The teacher sampler, the authors' {@code solver_tea}. */
    public static final String TEACHER = "ipndm";
    /** The rho of the teacher's Karras list (EDM's polynomial schedule). */
    static final double RHO = 7;
    /** Trajectories sampled at once: enough rows to batch the network, few enough to bound its scratch. */
    static final int ROWS_PER_RUN = 64;

    private Gits() {
    }

    /**
     * How C[i][j] compares the Euler step x_hat with the teacher's x_j (per sample, then averaged).
     * {@code dev} is the released code's default: the mean over samples of x_hat's distance from the line through
     * the trajectory's ends (x_0 and x_L), less the same mean for the teacher's x_j; a signed difference, as
     * released, not a distance between the two points. {@code l1} and {@code l2} are the norms of x_hat - x_j.
     */
    public enum Metric { dev, l1, l2 }

    /**
     * The teacher's trajectories.
     *
     * @param sigmas   the levels, decreasing, all positive
     * @param states   states[l]: every sample's x at level l in the sampler's frame, sample after sample
     * @param denoised denoised[l]: the (guided) D(x_l, sigma_l) the teacher's step from level l used, l &lt; L
     * @param samples  trajectories
     */
    public record Trajectory(double[] sigmas, float[][] states, float[][] denoised, int samples) {
        public int levels() {
            return sigmas.length;
        }

        int sampleSize() {
            return states[0].length / samples;
        }
    }

    /**
     * The chosen list.
     *
     * @param indices the chosen teacher levels, 0 first and L last
     * @param cost    the DP's total cost V[0][steps]
     */
    public record Path(int[] indices, double cost) {
        public Path {
            indices = indices.clone();
        }

        @Override
        public int[] indices() {
            return indices.clone();
        }

        /** The chosen levels' sigmas, then 0. */
        public double[] sigmas(double[] levels) {
            double[] s = new double[indices.length + 1];
            for (int k = 0; k < indices.length; k++) {
                s[k] = levels[indices[k]];
            }
            return s;
        }
    }

    /** The teacher's levels: Karras rho = 7 over the model's [sigma_min, sigma_max], {@code steps + 1} positive values. */
    public static double[] teacherLevels(ModelSampling sampling, int steps) {
        double[] withZero = KarrasScheduler.karras(sampling.sigmaMin(), sampling.sigmaMax(), steps + 1, RHO);
        return Arrays.copyOf(withZero, steps + 1);
    }

    /**
     * Runs {@code sampler} over {@code levels} from each row of {@code noise} (standard normal, samples x the model's
     * sample size) as the engine runs it ({@link Stepwise#sample}: the same starting scale, guidance and frame), and
     * keeps every state and every model call's estimate.
     */
    public static Trajectory teacher(Model model, String sampler, double[] levels, float[] noise, Conditions conditions,
                                     double cfg, FitProgress listener) {
        int d = model.sampleSize();
        int n = conditions.batch();
        if (noise.length != n * d) {
            throw new IllegalArgumentException("noise has " + noise.length + " values; " + n + " samples of " + d + " need "
                    + (long) n * d);
        }
        int steps = levels.length - 1;
        if (!(levels[steps] > 0)) {
            throw new IllegalArgumentException("the teacher's last level must be positive (it does not step to 0), not "
                    + levels[steps]);
        }
        float[][] states = new float[levels.length][n * d];
        float[][] denoised = new float[steps][n * d];
        ModelSampling ms = model.sampling();
        int batches = (n + ROWS_PER_RUN - 1) / ROWS_PER_RUN;
        int[] done = {0};
        for (int start = 0; start < n; start += ROWS_PER_RUN) {
            int b = Math.min(ROWS_PER_RUN, n - start);
            int offset = start * d;
            float[] rows = Arrays.copyOfRange(noise, offset, offset + b * d);
            // Level 0 as Stepwise.sample forms it from the same noise (ComfyUI's KSampler scaling at sigma_max).
            float[] x0 = new float[b * d];
            ms.noiseScaling(levels[0], rows, null, ms.isMaxDenoise(levels[0]), x0);
            System.arraycopy(x0, 0, states[0], offset, b * d);
            Conditions c = new Conditions(conditions.positive().subList(start, start + b),
                    conditions.negative().subList(start, start + b));
            Stepwise.sample(SampleRequest.builder(model).sampler(sampler).sigmas(levels).cfg(cfg).conditions(c)
                    .batch(b).initialNoise(Tensor.wrap(rows, Tensor.batchShape(b, model.sampleShape())))
                    .listener((step, total, sigma, x, den) -> {
                        System.arraycopy(x, 0, states[step + 1], offset, b * d);
                        System.arraycopy(den, 0, denoised[step], offset, b * d);
                        listener.progress(++done[0], batches * steps);
                    }).build());
        }
        return new Trajectory(levels.clone(), states, denoised, n);
    }

    /**
     * C[i][j] for i &lt; j (0 elsewhere): the registered {@code euler} step from the teacher's x_i over [sigma_i,
     * sigma_j], x_hat = x_i + (sigma_j - sigma_i) (x_i - D) / sigma_i in the sampler's frame (Euler.java's two
     * lines, which serve flow models too), against the teacher's x_j, averaged over the samples. Euler's one model
     * call is at (x_i, sigma_i) whatever j is, which is the call the teacher made there, so it is taken from the
     * teacher ({@code d_cur = eps_traj[i]} in the released code): the matrix costs no network call.
     */
    public static double[][] costs(Trajectory t, Metric metric, FitProgress listener) {
        int levels = t.levels(), n = t.samples(), d = t.sampleSize();
        double[] s = t.sigmas();
        double[][] c = new double[levels][levels];
        double[] teacherDev = new double[levels];
        if (metric == Metric.dev) {
            for (int j = 1; j < levels - 1; j++) {
                teacherDev[j] = meanDeviation(t, t.states()[j], n, d);
            }
        }
        float[] slope = new float[d], xi = new float[d], den = new float[d], step = new float[n * d];
        for (int i = 0; i < levels - 1; i++) {
            float[][] slopes = new float[n][];
            for (int r = 0; r < n; r++) {
                System.arraycopy(t.states()[i], r * d, xi, 0, d);
                System.arraycopy(t.denoised()[i], r * d, den, 0, d);
                Vec.derivative(slope, xi, den, s[i]);
                slopes[r] = slope.clone();
            }
            for (int j = i + 1; j < levels; j++) {
                for (int r = 0; r < n; r++) {
                    System.arraycopy(t.states()[i], r * d, xi, 0, d);
                    Vec.axpy(s[j] - s[i], slopes[r], xi);
                    System.arraycopy(xi, 0, step, r * d, d);
                }
                c[i][j] = switch (metric) {
                    case dev -> meanDeviation(t, step, n, d) - teacherDev[j];
                    case l1, l2 -> meanNorm(step, t.states()[j], n, d, metric == Metric.l1);
                };
                if (!Double.isFinite(c[i][j])) {
                    throw new ArithmeticException(String.format(Locale.ROOT, "the cost of the step from sigma %.6g to %.6g"
                            + " is not finite (the model's prediction became NaN or infinite)", s[i], s[j]));
                }
            }
            listener.progress(i + 1, levels - 1);
        }
        return c;
    }

    /** Mean over samples of ||a - b||_1 or ||a - b||_2 (the released code's torch.norm over a sample's values). */
    private static double meanNorm(float[] a, float[] b, int n, int d, boolean l1) {
        double total = 0;
        for (int r = 0; r < n; r++) {
            double sum = 0;
            for (int k = r * d; k < (r + 1) * d; k++) {
                double e = (double) a[k] - b[k];
                sum += l1 ? Math.abs(e) : e * e;
            }
            total += l1 ? sum : Math.sqrt(sum);
        }
        return total / n;
    }

    /**
     * Mean over samples of the distance of p from the line through the sample's trajectory ends x_0 and x_L: the
     * part of p - x_L orthogonal to x_L - x_0 (the released {@code cal_deviation}).
     */
    private static double meanDeviation(Trajectory t, float[] p, int n, int d) {
        float[] first = t.states()[0], last = t.states()[t.levels() - 1];
        double total = 0;
        for (int r = 0; r < n; r++) {
            double bb = 0, ab = 0, aa = 0;
            for (int k = r * d; k < (r + 1) * d; k++) {
                double a = (double) last[k] - p[k], b = (double) last[k] - first[k];
                bb += b * b;
                ab += a * b;
                aa += a * a;
            }
            // ||a - (a.u) u||^2 = ||a||^2 - (a.b)^2 / ||b||^2, u = b / ||b||
            total += Math.sqrt(Math.max(0, aa - ab * ab / bb));
        }
        return total / n;
    }

    /**
     * The DP: the path of {@code steps} steps from level 0 to the last level L through increasing levels with the
     * least V[0][steps], where V[j][1] = C[j][L] and V[j][k] = min_{j &lt; i &lt; L} C[j][i] + coeff V[i][k - 1]. Ties
     * go to the lower level, as the released code's read-back takes the first. The path has {@code steps + 1} levels,
     * so with its final 0 ({@link Path#sigmas}) a list of {@code steps + 1} engine steps.
     *
     * @throws IllegalArgumentException for steps outside 1..L, or coeff not finite and &gt; 0
     */
    public static Path path(double[][] cost, int steps, double coeff) {
        int levels = cost.length, last = levels - 1;
        if (steps < 1 || steps > last) {
            throw new IllegalArgumentException("steps " + steps + " is not allowed; " + levels + " teacher levels allow 1.."
                    + last);
        }
        if (!(coeff > 0 && Double.isFinite(coeff))) {
            throw new IllegalArgumentException("coeff " + coeff + " is not allowed; give a finite value > 0");
        }
        double[][] v = new double[steps + 1][levels];
        int[][] next = new int[steps + 1][levels];
        for (double[] row : v) {
            Arrays.fill(row, Double.POSITIVE_INFINITY);
        }
        for (int j = 0; j < last; j++) {
            v[1][j] = cost[j][last];
            next[1][j] = last;
        }
        for (int k = 2; k <= steps; k++) {
            for (int j = 0; j < last; j++) {
                for (int i = j + 1; i < last; i++) {
                    double candidate = cost[j][i] + coeff * v[k - 1][i];
                    if (candidate < v[k][j]) {
                        v[k][j] = candidate;
                        next[k][j] = i;
                    }
                }
            }
        }
        int[] indices = new int[steps + 1];
        for (int k = steps, at = 0, p = 0; k >= 1; k--) {
            at = next[k][at];
            indices[++p] = at;
        }
        return new Path(indices, v[steps][0]);
    }
}
