package dev.stepwise.core.samplers;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.param.Options;
import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.HalfLogSnr;
import dev.stepwise.core.sampling.History;
import dev.stepwise.core.sampling.PercentSigma;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.sampling.StochasticAdams;
import dev.stepwise.core.tensor.Vec;
import java.util.List;

/**
 * SA-Solver (Xue et al. 2023, "SA-Solver: Stochastic Adams Solver for Fast Sampling of Diffusion Models",
 * arXiv:2309.05019, eqs. 15 and 18; ComfyUI's {@code sample_sa_solver}): a stochastic Adams predictor-corrector in
 * data prediction and half-log-SNR lambda. With tau the noise strength of the step and h = lambda_t - lambda_s,
 * <pre>
 *   predictor (eq. 15):  x~_t = (sigma_t / sigma_s) e^{-tau^2 h} x_s + sum_j b_j D_j + sigma_t sqrt(1 - e^{-2 tau^2 h}) s_noise z
 *                        over the last predictor_order estimates (explicit Adams-Bashforth-type)
 *   corrector (eq. 18):  x_t = (sigma_t / sigma_s) e^{-tau^2 h} x_s + sum_j b'_j D_j + (the same noise)
 *                        over the last corrector_order estimates including D(x~_t, sigma_t) (Adams-Moulton-type)
 * </pre>
 * b_j are the exact Lagrange integrals ({@link StochasticAdams}). Each step evaluates D at the predicted point,
 * corrects the previous step with it, then predicts the next; the run returns the last prediction. tau = eta inside
 * the noise interval sigma in [percent_to_sigma(sde_end_percent), percent_to_sigma(sde_start_percent)] and 0
 * outside (ComfyUI's default interval, 0.2 to 0.8, from the authors' README). The orders ramp up with the history;
 * when the run ends at sigma = 0 they ramp down over the last steps, and the step onto 0 returns D. {@code _pece}
 * re-evaluates D at the corrected point (PECE): two calls per step, one on the first.
 *
 * <p>{@code simple_order_2} (ComfyUI's option, the paper's appendix D): a step with two nodes uses b = alpha_t k h / 2 on
 * the newest estimate and the rest of alpha_t (1 - e^{-k h}) on the other (corrector), or alpha_t k h^2 / (2 (lambda_{s-1}
 * - lambda_s)) on the older one and the rest on the newer (predictor), with k = 1 + tau^2.
 */
public record SaSolver(double eta, double startPercent, double endPercent, double sNoise, int predictorOrder,
                       int correctorOrder, boolean simpleOrder2, boolean pece) implements Sampler {

    public static final Parameter ETA = Parameter.real("eta", 1, 0, Double.POSITIVE_INFINITY,
            "noise strength tau inside the noise interval (0 = probability-flow ODE)");
    public static final Parameter START = Parameter.real("sde_start_percent", 0.2, 0, 1,
            "where the noise interval starts, as a share of the timestep range from the noisy end");
    public static final Parameter END = Parameter.real("sde_end_percent", 0.8, 0, 1,
            "where the noise interval ends, as a share of the timestep range from the noisy end");
    public static final Parameter PREDICTOR_ORDER = Parameter.integer("predictor_order", 3, 1, 6,
            "past estimates the predictor interpolates");
    public static final Parameter CORRECTOR_ORDER = Parameter.integer("corrector_order", 4, 0, 6,
            "estimates the corrector interpolates (0 = no corrector)");
    public static final Parameter SIMPLE_ORDER_2 = Parameter.choice("simple_order_2", List.of("false", "true"),
            "two-node steps use the paper's simplified order-2 coefficients (appendix D) instead of the exact integrals");
    static final List<Parameter> PARAMETERS = List.of(ETA, START, END, EulerAncestral.S_NOISE, PREDICTOR_ORDER, CORRECTOR_ORDER,
            SIMPLE_ORDER_2);

    public static final SamplerInfo INFO = SamplerInfo.builder("sa_solver")
            .description("SA-Solver: stochastic Adams predictor-corrector in data prediction")
            .order(4).calls(1, false).stochastic(true)
            .reference("Xue et al. 2023 (SA-Solver) eqs. 15 and 18; ComfyUI sample_sa_solver")
            .parameters(PARAMETERS)
            .create(o -> from(o, false));

    static SaSolver from(Options o, boolean pece) {
        return new SaSolver(o.real("eta"), o.real("sde_start_percent"), o.real("sde_end_percent"), o.real("s_noise"),
                o.integer("predictor_order"), o.integer("corrector_order"), o.choice("simple_order_2").equals("true"), pece);
    }

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        if (sigmas.length <= 1) {
            return;
        }
        ModelSampling ms = ctx.sampling();
        sigmas = HalfLogSnr.offsetFirstSigma(ms, sigmas);
        int n = sigmas.length;
        double[] lambdas = new double[n];
        for (int i = 0; i < n; i++) {
            lambdas[i] = HalfLogSnr.lambda(ms, sigmas[i]);
        }
        double startSigma = PercentSigma.of(ms, startPercent), endSigma = PercentSigma.of(ms, endPercent);
        boolean lowerOrderToEnd = sigmas[n - 1] == 0;
        History estimates = new History(ctx, Math.max(predictorOrder, correctorOrder));
        float[] xPred = x.clone(), denoised = ctx.buffer(), noise = ctx.buffer();
        double h = 0, tau = 0;
        boolean noiseAdded = false;
        for (int i = 0; i < n - 1; i++) {
            ctx.denoise(xPred, sigmas[i], denoised);
            estimates.push(denoised, lambdas[i]);
            int predictorUsed = Math.min(predictorOrder, estimates.size());
            int correctorUsed = i == 0 || (sigmas[i + 1] == 0 && !pece) ? 0 : Math.min(correctorOrder, estimates.size());
            if (lowerOrderToEnd) {
                predictorUsed = Math.min(predictorUsed, n - 2 - i);
                correctorUsed = Math.min(correctorUsed, n - 1 - i);
            }

            // Corrector: redo the step lambda_{i-1} -> lambda_i with D at the predicted point among the nodes.
            if (correctorUsed == 0) {
                Vec.copy(xPred, x);
            } else {
                adamsStep(estimates, correctorUsed, lambdas[i - 1], lambdas[i], tau, HalfLogSnr.alpha(ms, sigmas[i]),
                        sigmas[i] / sigmas[i - 1] * Math.exp(-tau * tau * h), x, x, simpleOrder2, true);
                if (noiseAdded) {
                    Vec.axpy(1, noise, x);                                   // the predictor's noise, same path
                }
                if (pece) {
                    ctx.denoise(x, sigmas[i], denoised);
                    Vec.copy(denoised, estimates.get(0));
                }
            }

            // Predictor: lambda_i -> lambda_{i+1} from the corrected x.
            if (sigmas[i + 1] == 0) {
                Vec.copy(denoised, xPred);
            } else {
                tau = eta > 0 && startSigma >= sigmas[i + 1] && sigmas[i + 1] >= endSigma ? eta : 0;
                h = lambdas[i + 1] - lambdas[i];
                adamsStep(estimates, predictorUsed, lambdas[i], lambdas[i + 1], tau, HalfLogSnr.alpha(ms, sigmas[i + 1]),
                        sigmas[i + 1] / sigmas[i] * Math.exp(-tau * tau * h), x, xPred, simpleOrder2, false);
                noiseAdded = tau > 0 && sNoise > 0;
                if (noiseAdded) {
                    ctx.noise(sigmas[i], sigmas[i + 1], noise);
                    Vec.scale(noise, sigmas[i + 1] * Math.sqrt(-Math.expm1(-2 * tau * tau * h)) * sNoise);
                    Vec.axpy(1, noise, xPred);
                }
            }
            ctx.stepDone(i, sigmas, xPred, denoised);
        }
        Vec.copy(xPred, x);
    }

    /**
     * out = ratio x + sum_j b_j D_j over the newest {@code order} estimates, for the step lambdaS -> lambdaT, summed in
     * double precision (float coefficients would leave a rounding floor common to all values, which a fourth-order
     * method reaches within the step counts the order test uses).
     */
    private static void adamsStep(History estimates, int order, double lambdaS, double lambdaT, double tau, double alphaT,
                                  double ratio, float[] x, float[] out, boolean simple, boolean corrector) {
        double[] nodes = new double[order];
        float[][] values = new float[order + 1][];
        for (int j = 0; j < order; j++) {
            nodes[j] = estimates.key(j);
            values[j + 1] = estimates.get(j);
        }
        double[] b = simple && order == 2
                ? StochasticAdams.simpleOrder2(nodes[1], lambdaS, lambdaT, tau, alphaT, corrector)
                : StochasticAdams.coefficients(nodes, lambdaS, lambdaT, tau, alphaT);
        double[] coefficients = new double[order + 1];
        coefficients[0] = ratio;
        System.arraycopy(b, 0, coefficients, 1, order);
        values[0] = x;
        Vec.lin(out, coefficients, values);
    }
}
