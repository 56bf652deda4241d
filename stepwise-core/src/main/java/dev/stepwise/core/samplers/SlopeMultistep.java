package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.History;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * The loop shared by the slope multistep samplers: k-diffusion's LMS and the diff-solvers family (iPNDM, iPNDM-v,
 * tAB-DEIS; ComfyUI's {@code sample_lms}, {@code sample_ipndm}, {@code sample_ipndm_v}, {@code sample_deis}),
 * which differ only in their weights: one model call per step, the slope
 * d_i = (x_i - D_i) / sigma_i (the eps prediction), and x_{i+1} = x_i + sum_j c_j d_{i-j} over the last
 * k = min(i + 1, maxOrder) slopes, so the first steps warm up with lower orders. The step onto sigma = 0 returns
 * D itself (the Euler step there).
 */
final class SlopeMultistep {

    /** The weights c_0..c_{k-1} (step size included) of d_i, d_{i-1}, ... for the step sigmas[i] -> sigmas[i + 1]. */
    @FunctionalInterface
    interface Weights {
        double[] of(double[] sigmas, int i, int k);
    }

    private SlopeMultistep() {
    }

    static void sample(SamplingContext ctx, float[] x, double[] sigmas, int maxOrder, Weights weights) {
        float[] denoised = ctx.buffer(), d = ctx.buffer();
        History slopes = new History(ctx, maxOrder);              // d_{i-j}, keyed by sigma_{i-j}, newest first
        float[][][] terms = new float[maxOrder + 1][][];
        for (int k = 1; k <= maxOrder; k++) {
            terms[k] = new float[k + 1][];
        }
        for (int i = 0; i < sigmas.length - 1; i++) {
            ctx.denoise(x, sigmas[i], denoised);
            Vec.derivative(d, x, denoised, sigmas[i]);
            slopes.push(d, sigmas[i]);
            if (sigmas[i + 1] == 0) {
                Vec.copy(denoised, x);
            } else {
                int k = slopes.size();
                double[] w = weights.of(sigmas, i, k);
                double[] c = new double[k + 1];
                float[][] t = terms[k];
                c[0] = 1;
                t[0] = x;
                for (int j = 0; j < k; j++) {
                    c[j + 1] = w[j];
                    t[j + 1] = slopes.get(j);
                }
                Vec.lin(x, c, t);                                    // x + sum_j c_j d_{i-j}
            }
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
