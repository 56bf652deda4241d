package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;

/**
 * DPM-Solver-fast (Lu et al. 2022, arXiv:2206.00927, sec. 3.4; k-diffusion's {@code sample_dpm_fast}): a budget
 * of NFE = steps model calls spent on M = floor(NFE / 3) + 1 steps uniform in t = -log sigma, all DPM-Solver-3
 * but the last ones: orders 3, ..., 3, 2, 1 when 3 divides NFE, else 3, ..., 3, NFE mod 3. As ComfyUI, it uses
 * only the schedule's ends: from sigmas[0] to the last positive sigma (the result stays at that noise level; it
 * does not step onto 0), ignoring the sigmas in between. Deterministic (ComfyUI passes no eta).
 */
public record DpmFast() implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("dpm_fast")
            .description("DPM-Solver-fast: orders 3,3,...,2/1 uniform in log sigma within a budget of steps model calls")
            .order(3).calls(1, false).stochastic(false)
            .reference("Lu et al. 2022 (DPM-Solver) sec. 3.4, Algorithms 4-5; k-diffusion sample_dpm_fast")
            .create(o -> new DpmFast());

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        if (sigmas.length <= 1) {
            return;
        }
        double sigmaMin = DpmSolver.sigmaMin(sigmas, "dpm_fast");
        int nfe = sigmas.length - 1;
        int m = nfe / 3 + 1;
        int[] orders = new int[m];
        java.util.Arrays.fill(orders, 3);
        if (nfe % 3 == 0) {
            orders[m - 2] = 2;                                    // m >= 2 here
            orders[m - 1] = 1;
        } else {
            orders[m - 1] = nfe % 3;
        }
        double tStart = DpmSolver.t(sigmas[0]), tEnd = DpmSolver.t(sigmaMin);
        double[] grid = new double[m + 1];
        for (int i = 0; i <= m; i++) {
            grid[i] = DpmSolver.sigma(tStart + (tEnd - tStart) * i / m);
        }
        DpmSolver solver = new DpmSolver(ctx);
        for (int i = 0; i < orders.length; i++) {
            double t = tStart + (tEnd - tStart) * i / m, tNext = tStart + (tEnd - tStart) * (i + 1) / m;
            solver.begin(x, t);
            switch (orders[i]) {
                case 1 -> solver.first(x, t, tNext, x);
                case 2 -> solver.second(x, t, tNext, 0.5, x);
                default -> solver.third(x, t, tNext, x);
            }
            ctx.stepDone(i, grid, x, solver.denoised);
        }
    }
}
