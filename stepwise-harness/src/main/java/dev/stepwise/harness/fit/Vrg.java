package dev.stepwise.harness.fit;

import dev.stepwise.core.measure.ErrorPropagation;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.Sigmas;
import java.util.Arrays;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import java.util.function.ToDoubleFunction;
import org.hipparchus.optim.InitialGuess;
import org.hipparchus.optim.MaxEval;
import org.hipparchus.optim.PointValuePair;
import org.hipparchus.optim.SimpleBounds;
import org.hipparchus.optim.nonlinear.scalar.GoalType;
import org.hipparchus.optim.nonlinear.scalar.ObjectiveFunction;
import org.hipparchus.optim.nonlinear.scalar.noderiv.BOBYQAOptimizer;
import org.hipparchus.optim.univariate.BrentOptimizer;
import org.hipparchus.optim.univariate.SearchInterval;
import org.hipparchus.optim.univariate.UnivariateObjectiveFunction;
import org.hipparchus.optim.univariate.UnivariatePointValuePair;

/**
 * Variance-Reduction Guidance (Xu, Liu, Kong, arXiv 2510.21792): with the step count fixed, the sigma list
 * whose accumulated prediction-error variance (see {@link ErrorPropagation}) is least for a given sampler and
 * error curve.
 *
 * <p>The first sigma (the noisiest level) and the last positive one stay where the base schedule put them and
 * the list ends in 0; in between, the list is parameterised by softmax increments of log sigma, so every point
 * of the search is a strictly decreasing list with those end points. (The released code instead moves each
 * alpha by at most a fixed portion under SGD with momentum and holds the noisiest level with a penalty of
 * weight 100; here the end points are exact and the search is free.) BOBYQA, Powell's bounded quadratic-model
 * method, does the search (Brent's method when one value is free); it needs no gradient, and the objective is
 * only piecewise smooth where the curve is interpolated.
 */
public final class Vrg {
    /**
     * Logits stay within +-15, so no increment falls below e^-30 of another: every list the search can reach has
     * distinct doubles, and one that extreme is far past any useful list.
     */
    private static final double LOGIT_BOUND = 15;

    private Vrg() {
    }

    /**
     * A fitted list.
     *
     * @param base        the list the search started from
     * @param sigmas      the fitted list (same length and end points)
     * @param before      the base list's accumulated variance
     * @param after       the fitted list's
     * @param evaluations objective evaluations the search made
     * @param optimiser   the method, for the schedule file
     */
    public record Fit(double[] base, double[] sigmas, double before, double after, int evaluations, String optimiser) {
        public Fit {
            base = base.clone();
            sigmas = sigmas.clone();
        }

        @Override
        public double[] base() {
            return base.clone();
        }

        @Override
        public double[] sigmas() {
            return sigmas.clone();
        }
    }

    /**
     * The x0-prediction MSE at each sigma from a curve of the eps prediction's: MSE_x0 = sigma_VE^2 MSE_eps, with
     * sigma_VE = sigma in VE form and s / (1 - s) for flow. A flow curve's last level s = 1 (eps_hat = x, error 0,
     * sigma_VE infinite) gives no x0 error, so calls above the highest level below 1 take that level's: the x0 error
     * levels off towards pure noise (it tends to the data's own spread).
     */
    public static DoubleUnaryOperator x0Error(ErrorCurve curve, ModelSampling sampling) {
        double[] levels = curve.sigmas();
        int top = levels.length - 1;
        double highest = sampling.isFlow() && levels[top] >= 1 ? levels[top - 1] : levels[top];
        return sigma -> {
            double at = Math.min(sigma, highest);
            double ve = sampling.isFlow() ? at / (1 - at) : at;
            return ve * ve * curve.mseAt(at);
        };
    }

    /** The accumulated variance of {@code sampler} walking {@code sigmas}, with x0-prediction MSE {@code mseX0}. */
    public static double objective(SamplerInfo sampler, Map<String, ?> parameters, ModelSampling sampling, double[] sigmas,
                                   DoubleUnaryOperator mseX0) {
        return ErrorPropagation.of(sampler, parameters, sampling, sigmas).accumulated(mseX0);
    }

    /**
     * The list of {@code base.length - 1} steps with the least accumulated variance.
     *
     * @throws IllegalArgumentException for fewer than 2 steps, a list that does not end in 0, or a sampler that
     *                                  cannot be traced (stochastic, adaptive, CFG++)
     */
    public static Fit fit(SamplerInfo sampler, Map<String, ?> parameters, ModelSampling sampling, double[] base,
                          DoubleUnaryOperator mseX0) {
        return fit(sampler, parameters, sampling, base, mseX0, Double.POSITIVE_INFINITY);
    }

    /**
     * As {@link #fit(SamplerInfo, Map, ModelSampling, double[], DoubleUnaryOperator)}, with the search kept within
     * {@code radius} of the base list: each softmax logit moves by at most that much, so each step's share of the
     * log-sigma span changes by at most a factor e^(2 radius). The accumulated variance alone has a degenerate
     * optimum, since it counts neither the sampler's truncation error nor how later steps correct earlier errors:
     * on a flow model it is one jump from pure noise to the last level (an x0 error at s = 1 reaches the result
     * whole, whatever follows, and every further step only adds), so the unbounded fit ({@code radius} infinite)
     * gives a useless list there. The released code is local too: it moves each alpha by at most 1 %.
     */
    public static Fit fit(SamplerInfo sampler, Map<String, ?> parameters, ModelSampling sampling, double[] base,
                          DoubleUnaryOperator mseX0, double radius) {
        if (!(radius > 0)) {
            throw new IllegalArgumentException("radius " + radius + " must be > 0 (infinite for an unbounded search)");
        }
        Sigmas.check(base);
        int steps = base.length - 1;
        if (steps < 2) {
            throw new IllegalArgumentException("steps " + steps + " must be at least 2: with one step there is no level to move");
        }
        if (base[steps] != 0) {
            throw new IllegalArgumentException("the base list must end in 0, not " + base[steps]);
        }
        LogIncrements shape = new LogIncrements(base[0], base[steps - 1], steps);
        double before = objective(sampler, parameters, sampling, base, mseX0);
        int[] evaluations = {0};
        ToDoubleFunction<double[]> f = theta -> {
            evaluations[0]++;
            return objective(sampler, parameters, sampling, shape.sigmas(theta), mseX0);
        };
        double[] start = shape.logits(base);
        for (int j = 0; j < start.length; j++) {
            start[j] = Math.max(-LOGIT_BOUND, Math.min(LOGIT_BOUND, start[j]));
        }
        double[] best;
        String method;
        if (start.length == 0) {
            best = start;
            method = "none (no free level)";
        } else if (start.length == 1) {
            UnivariatePointValuePair p = new BrentOptimizer(1e-10, 1e-14).optimize(new MaxEval(10_000),
                    new UnivariateObjectiveFunction(t -> f.applyAsDouble(new double[] {t})), GoalType.MINIMIZE,
                    new SearchInterval(Math.max(-LOGIT_BOUND, start[0] - radius), Math.min(LOGIT_BOUND, start[0] + radius),
                            start[0]));
            best = new double[] {p.getPoint()};
            method = "Brent (hipparchus-optim)";
        } else {
            int n = start.length;
            double[] lo = new double[n], hi = new double[n];
            double narrowest = Double.POSITIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                lo[j] = Math.max(-LOGIT_BOUND, start[j] - radius);
                hi[j] = Math.min(LOGIT_BOUND, start[j] + radius);
                narrowest = Math.min(narrowest, hi[j] - lo[j]);
            }
            // BOBYQA's first trust region must fit in half the narrowest bound interval.
            PointValuePair p = new BOBYQAOptimizer(2 * n + 1, Math.min(0.5, narrowest / 4), 1e-9).optimize(new MaxEval(200_000),
                    new ObjectiveFunction(f::applyAsDouble), GoalType.MINIMIZE, new InitialGuess(start),
                    new SimpleBounds(lo, hi));
            best = p.getPoint();
            method = "BOBYQA (hipparchus-optim)";
        }
        double[] fitted = shape.sigmas(best);
        double after = objective(sampler, parameters, sampling, fitted, mseX0);
        if (!(after <= before)) {
            // The search never returns worse than where it started.
            return new Fit(base, base, before, before, evaluations[0], method + ", kept the base list");
        }
        return new Fit(base, fitted, before, after, evaluations[0], method);
    }

    /**
     * Decreasing lists from {@code first} to {@code last} in {@code steps - 1} log-sigma increments, then 0: the
     * increments are the softmax of (theta, 0), so any theta gives a valid list and the base list has a theta.
     */
    record LogIncrements(double first, double last, int steps) {
        LogIncrements {
            if (!(first > last && last > 0)) {
                throw new IllegalArgumentException("the list must fall from its first sigma " + first
                        + " to a positive last one, not " + last);
            }
        }

        double[] sigmas(double[] theta) {
            int m = steps - 1;
            double[] u = new double[m];
            double max = 0;
            for (double t : theta) {
                max = Math.max(max, t);
            }
            double sum = 0;
            for (int j = 0; j < m; j++) {
                u[j] = Math.exp((j < theta.length ? theta[j] : 0) - max);
                sum += u[j];
            }
            double span = Math.log(first) - Math.log(last);
            double[] s = new double[steps + 1];
            s[0] = first;
            double acc = 0;
            for (int i = 1; i < steps - 1; i++) {
                acc += u[i - 1] / sum;
                s[i] = Math.exp(Math.log(first) - span * acc);
            }
            s[steps - 1] = last;
            s[steps] = 0;
            return s;
        }

        double[] logits(double[] list) {
            int m = steps - 1;
            double[] theta = new double[m - 1];
            double lastIncrement = Math.log(list[m - 1]) - Math.log(list[m]);
            for (int j = 0; j < m - 1; j++) {
                theta[j] = Math.log((Math.log(list[j]) - Math.log(list[j + 1])) / lastIncrement);
            }
            return theta;
        }
    }
}
