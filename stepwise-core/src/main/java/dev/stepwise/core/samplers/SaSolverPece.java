package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * SA-Solver in PECE mode (predict, evaluate, correct, evaluate; ComfyUI's {@code sample_sa_solver_pece}): as
 * {@link SaSolver}, but the corrected state is evaluated again and that estimate replaces the one at the predicted
 * point. One call on the first step, two on every later one (with corrector_order >= 1, the default).
 */
public record SaSolverPece(SaSolver solver) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("sa_solver_pece")
            .description("SA-Solver with the corrected state evaluated again (PECE)")
            .order(4).calls(2, false).stochastic(true)
            .nfeRule(sigmas -> sigmas.length <= 1 ? 0 : 2L * (sigmas.length - 1) - 1)
            .reference("Xue et al. 2023 (SA-Solver) eqs. 15 and 18 in PECE mode; ComfyUI sample_sa_solver_pece")
            .parameters(SaSolver.PARAMETERS)
            .create(o -> new SaSolverPece(SaSolver.from(o, true)));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        solver.sample(ctx, x, sigmas);
    }
}
