package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * Improved PNDM (Zhang and Chen 2023, "Fast Sampling of Diffusion Models with Exponential Integrator", its
 * iPNDM; ComfyUI's {@code sample_ipndm}): the classical fixed-step Adams-Bashforth formulas on the eps
 * slope d = (x - D) / sigma, x_{i+1} = x_i + (sigma_{i+1} - sigma_i) sum_j beta_j d_{i-j} with
 * beta = (1), (3, -1)/2, (23, -16, 5)/12, (55, -59, 37, -9)/24, the lower orders warming up the first three steps
 * (PNDM's pseudo Runge-Kutta start replaced by lower-order multistep steps).
 *
 * <p>Order: the coefficients are those of a uniform grid, but sigma steps vary. On a grid sigma_i = s(u_i) with
 * uniform u (Karras, etc.), the fixed weights integrate sigma with a consistency error O(h^3) per step once the
 * O(h^2) term cancels (sum_j beta_j (1/2 + j) = 0), so the method is of order 2 on such schedules, not 4; the
 * registry states what {@code DeterministicOrderTest} measures on the Karras test problem. Where step lengths do
 * not vary smoothly (alternating long and short steps) the fixed weights miss even linear slopes by O(h^2) per
 * step, order 1; on equal steps, which they are made for, they are AB4, order 4 ({@code FixedStepMultistepTest}).
 * {@link IpndmV} is the variable-step version.
 */
public record Ipndm() implements Sampler {

    /** Classical Adams-Bashforth weights of d_i, d_{i-1}, ... for 1 to 4 slopes (Hairer et al. I, III.1). */
    static final double[][] ADAMS_BASHFORTH = {
            {1},
            {3 / 2.0, -1 / 2.0},
            {23 / 12.0, -16 / 12.0, 5 / 12.0},
            {55 / 24.0, -59 / 24.0, 37 / 24.0, -9 / 24.0}};

    public static final SamplerInfo INFO = SamplerInfo.builder("ipndm")
            .description("improved PNDM: fixed-coefficient Adams-Bashforth (up to 4 slopes) on the eps slope")
            .order(2).calls(1, false).stochastic(false)
            .reference("Zhang & Chen 2023 (DEIS paper), iPNDM; ComfyUI sample_ipndm")
            .create(o -> new Ipndm());

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        SlopeMultistep.sample(ctx, x, sigmas, 4, (s, i, k) -> {
            double[] w = ADAMS_BASHFORTH[k - 1].clone();
            for (int j = 0; j < k; j++) {
                w[j] *= s[i + 1] - s[i];
            }
            return w;
        });
    }
}
