package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.HalfLogSnr;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import java.util.List;

/**
 * SEEDS-2 (Gonzalez et al. 2023, arXiv:2305.14267, the two-stage solver in data prediction, VP; ComfyUI's
 * {@code sample_seeds_2}): a two-stage exponential SDE solver in the half-log-SNR lambda ({@link HalfLogSnr}).
 * With h = lambda_t - lambda_s and h_eta = (1 + eta) h, each stage is the exact solution of the
 * data-prediction SDE for a frozen D,
 * <pre>
 *   x_1 = (sigma_1 / sigma_s) e^{-r h eta} x - alpha_1 (e^{-r h_eta} - 1) D + sigma_1 s_noise n_1,     lambda_1 = lambda_s + r h
 *   x_t = (sigma_t / sigma_s) e^{-h eta} x - alpha_t [ (e^{-h_eta} - 1) D' ] + sigma_t s_noise n_t
 * </pre>
 * with D' = (1 - 1/(2r)) D + 1/(2r) D(x_1) ({@code phi_1}) or the phi_2 weights b_2 = h phi_2(-h_eta) / r,
 * b_1 = h phi_1(-h_eta) - b_2 on D and D(x_1) ({@code phi_2}), and n_1, n_t one Brownian path ({@link SeedsNoise}).
 * eta = 0 is the deterministic DPM-Solver++(2S)-type method. The step onto sigma = 0 returns D (one call). The loop is
 * {@link ExpHeun2X0#seeds2}, shared with exp_heun_2_x0 (r = 1).
 */
public record Seeds2(double eta, double sNoise, double r, boolean phi2) implements Sampler {

    public static final Parameter SOLVER_TYPE = Parameter.choice("solver_type", List.of("phi_1", "phi_2"),
            "second-stage weights: midpoint-style mix of the two estimates (phi_1) or the phi_2 expansion");
    public static final Parameter R = Parameter.positive("r", 0.5, 0, 1,
            "position of the intermediate stage in the step, as a share of h in log-SNR");

    public static final SamplerInfo INFO = SamplerInfo.builder("seeds_2")
            .description("SEEDS-2: two-stage exponential SDE solver in data prediction")
            .order(2).calls(2, true).stochastic(true)
            .reference("Gonzalez et al. 2023 (SEEDS) SEEDS-2, data prediction; ComfyUI sample_seeds_2")
            .parameter(EulerAncestral.ETA).parameter(EulerAncestral.S_NOISE).parameter(R).parameter(SOLVER_TYPE)
            .create(o -> new Seeds2(o.real("eta"), o.real("s_noise"), o.real("r"), o.choice("solver_type").equals("phi_2")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        // One SEEDS-2 loop serves seeds_2 and exp_heun_2_x0 (r = 1, eta = 0).
        ExpHeun2X0.seeds2(ctx, x, sigmas, eta, sNoise, r, phi2);
    }
}
