package dev.stepwise.core.measure;

import dev.stepwise.core.model.Denoiser;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.noise.NoiseSampler;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.StepListener;
import dev.stepwise.core.schedule.Sigmas;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * How much of an error in each model call's prediction reaches the final sample of a deterministic run: the
 * gain g_k of call k, so that independent zero-mean prediction errors of variance v(sigma_k) leave a variance of
 * sum_k g_k^2 v(sigma_k) in the result. This is the accumulated variance that Variance-Reduction Guidance
 * (Xu, Liu, Kong, arXiv 2510.21792) minimises over the trajectory.
 *
 * <p>Propagation follows the paper: the error is a change in the network's noise prediction eps_hat, and a
 * change of the state is carried on with the noise prediction held fixed, i.e. with identity in the scaled
 * (VE) coordinates x / sqrt(alpha_bar). For DDIM / Euler this gives the paper's sum of
 * (sigma_i - sigma_{i+1})^2 MSE_eps(sigma_i); for any other deterministic sampler the gains follow from the
 * sampler's own linear combination of model outputs. They are found by running the registered sampler itself
 * on a linear surrogate: a model whose noise prediction is 0 everywhere (x0_hat = x in VE form, x / (1 - s) for
 * flow), one batch row per call with that call's x0 prediction raised by 1. The run is affine in the
 * predictions, so each row's final value is that call's gain, exactly up to float rounding.
 *
 * <p>Gains are stated for errors in the x0 prediction, which is the same quantity in every parameterisation
 * (in VE form an eps error e is an x0 error -sigma e): weight the model's x0-prediction MSE with them. That keeps
 * the first call of a flow model (s = 1, where the VE sigma is infinite and the eps prediction x itself is
 * exact) finite.
 *
 * @param callSigmas the noise level of each model call, in call order
 * @param gains      the gain of each call
 */
public record ErrorPropagation(double[] callSigmas, double[] gains) {

    public ErrorPropagation {
        callSigmas = callSigmas.clone();
        gains = gains.clone();
        if (callSigmas.length != gains.length) {
            throw new IllegalArgumentException(callSigmas.length + " call sigmas but " + gains.length + " gains");
        }
    }

    @Override
    public double[] callSigmas() {
        return callSigmas.clone();
    }

    @Override
    public double[] gains() {
        return gains.clone();
    }

    /** Model calls of the run. */
    public int calls() {
        return gains.length;
    }

    /**
     * The accumulated variance sum_k g_k^2 mseX0(sigma_k) for a model whose x0 prediction has per-value mean
     * squared error {@code mseX0} at each noise level.
     */
    public double accumulated(DoubleUnaryOperator mseX0) {
        double sum = 0;
        for (int k = 0; k < gains.length; k++) {
            sum += gains[k] * gains[k] * mseX0.applyAsDouble(callSigmas[k]);
        }
        return sum;
    }

    /** Whether {@link #of} can trace the sampler: fixed steps, no fresh noise, no guidance-specific update. */
    public static boolean traceable(SamplerInfo info) {
        return !info.stochastic() && !info.adaptive() && !info.cfgPp();
    }

    /**
     * The gains of sampler {@code info} (with {@code parameters}) walking {@code sigmas} on a model with that
     * parameterisation.
     *
     * @throws IllegalArgumentException for a stochastic, adaptive or CFG++ sampler, or a bad sigma list
     */
    public static ErrorPropagation of(SamplerInfo info, Map<String, ?> parameters, ModelSampling sampling, double[] sigmas) {
        if (!traceable(info)) {
            throw new IllegalArgumentException("sampler " + info.name() + " is "
                    + (info.stochastic() ? "stochastic" : info.adaptive() ? "adaptive" : "a CFG++ sampler")
                    + "; the accumulated variance is defined for deterministic fixed-step samplers (e.g. euler, ddim, "
                    + "dpmpp_2m, deis, ipndm, uni_pc)");
        }
        Sigmas.check(sigmas);
        int calls = trace(info, parameters, sampling, sigmas, 1, new ArrayList<>()).length;
        List<Double> callSigmas = new ArrayList<>();
        float[] rows = trace(info, parameters, sampling, sigmas, calls + 1, callSigmas);
        if (callSigmas.size() != calls) {
            throw new IllegalStateException("sampler " + info.name() + " made " + calls + " and then " + callSigmas.size()
                    + " model calls on the same sigmas");
        }
        double[] g = new double[calls];
        double[] s = new double[calls];
        for (int k = 0; k < calls; k++) {
            g[k] = (double) rows[k + 1] - rows[0];
            s[k] = callSigmas.get(k);
        }
        return new ErrorPropagation(s, g);
    }

    /**
     * Runs the sampler on the surrogate with {@code batch} one-value rows; row r > 0 has the x0 prediction of call
     * r - 1 raised by 1. Records each call's sigma and returns the final rows (for batch 1, one entry per call's
     * sigma is recorded and an array of that many entries returned).
     */
    private static float[] trace(SamplerInfo info, Map<String, ?> parameters, ModelSampling sampling, double[] sigmas,
                                 int batch, List<Double> callSigmas) {
        Denoiser surrogate = (x, sigma, cond, out) -> {
            int call = callSigmas.size();
            callSigmas.add(sigma);
            float[] xs = x.data(), o = out.data();
            for (int r = 0; r < xs.length; r++) {
                o[r] = (float) zeroNoisePrediction(sampling, xs[r], sigma) + (r == call + 1 ? 1f : 0f);
            }
        };
        Model model = new Model("error propagation", surrogate, sampling, new int[] {1});
        float[] start = new float[batch];
        NoiseSampler noNoise = NoiseSampler.sequential(new TorchGenerator(0));
        float[] end = Runs.run(info, parameters, model, start, sigmas, noNoise, 1.0, true, StepListener.NONE).x();
        return batch == 1 ? new float[callSigmas.size()] : end;
    }

    /** x0_hat when the noise prediction is 0: x in VE form, x / (1 - s) for flow (0 at s = 1, where x is pure noise). */
    private static double zeroNoisePrediction(ModelSampling sampling, double x, double sigma) {
        if (!sampling.isFlow()) {
            return x;
        }
        return sigma < 1 ? x / (1 - sigma) : 0;
    }

    @Override
    public String toString() {
        return "ErrorPropagation[sigmas=" + Arrays.toString(callSigmas) + ", gains=" + Arrays.toString(gains) + "]";
    }
}
