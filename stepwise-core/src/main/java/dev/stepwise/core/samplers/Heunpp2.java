package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Churn;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;

/**
 * Heun++ (ComfyUI's {@code sample_heunpp2}, from the MIT-licensed sd-webui-samplers-scheduler), with EDM churn: a
 * chain of Euler predictions x_2 = x + (sigma_{i+1} - sigma_hat) d at sigma_{i+1} and x_3 = x_2 +
 * (sigma_{i+2} - sigma_{i+1}) d_2 at sigma_{i+2}, whose slopes are blended with weights proportional to their
 * noise levels relative to the run's first sigma:
 * <pre>
 *   x_{i+1} = x + (sigma_{i+1} - sigma_hat) (w_1 d + w_2 d_2 + w_3 d_3),
 *   w_2 = sigma_{i+1} / (3 sigma_0), w_3 = sigma_{i+2} / (3 sigma_0), w_1 = 1 - w_2 - w_3.
 * </pre>
 * The second-to-last step blends two slopes (w_2 = sigma_{i+1} / (2 sigma_0)), the last is plain Euler: 3 calls per
 * step, 2 then 1 at the end. The weights satisfy the first-order condition only (the second needs
 * sum_j w_j c_j = 1/2 for the stage positions c_j, which holds at no step in general, and the weights fade to Euler's
 * as sigma falls below sigma_0), so the method is first order, with a smaller error constant than Euler early on.
 */
public record Heunpp2(Churn churn) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("heunpp2")
            .description("Heun++: Euler with up to two look-ahead slopes blended by sigma / sigma_0 (first order)")
            .order(1).calls(3, false).stochastic(false)
            .nfeRule(Heunpp2::calls)
            .reference("ComfyUI sample_heunpp2 (sd-webui-samplers-scheduler Heun++); EDM Algorithm 2 churn")
            .parameters(Churn.PARAMETERS)
            .create(o -> new Heunpp2(Churn.from(o)));

    /** 1 call on the step onto the last sigma, 2 on the one before, 3 on the others. */
    static long calls(double[] sigmas) {
        long n = 0;
        double end = sigmas[sigmas.length - 1];
        for (int i = 0; i < sigmas.length - 1; i++) {
            n += sigmas[i + 1] == end ? 1 : sigmas[i + 2] == end ? 2 : 3;
        }
        return n;
    }

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        float[] denoised = ctx.buffer(), d = ctx.buffer(), x2 = ctx.buffer(), d2 = ctx.buffer(), x3 = ctx.buffer();
        float[] d3 = ctx.buffer();
        float[] noise = churn.isDeterministic() ? null : ctx.buffer();
        int steps = sigmas.length - 1;
        double end = sigmas[steps];
        for (int i = 0; i < steps; i++) {
            double sigmaHat = churn.apply(ctx, x, sigmas[i], sigmas[i + 1], steps, noise);
            ctx.denoise(x, sigmaHat, denoised);
            Vec.derivative(d, x, denoised, sigmaHat);
            double dt = sigmas[i + 1] - sigmaHat;
            if (sigmas[i + 1] == end) {
                Vec.axpy(dt, d, x);                                        // Euler
            } else {
                Vec.lin(x2, 1, x, dt, d);
                ctx.denoise(x2, sigmas[i + 1], d2);
                Vec.derivative(d2, x2, d2, sigmas[i + 1]);
                if (sigmas[i + 2] == end) {
                    double w2 = sigmas[i + 1] / (2 * sigmas[0]);
                    Vec.lin(x, 1, x, dt * (1 - w2), d, dt * w2, d2);
                } else {
                    Vec.lin(x3, 1, x2, sigmas[i + 2] - sigmas[i + 1], d2);
                    ctx.denoise(x3, sigmas[i + 2], d3);
                    Vec.derivative(d3, x3, d3, sigmas[i + 2]);
                    double w2 = sigmas[i + 1] / (3 * sigmas[0]), w3 = sigmas[i + 2] / (3 * sigmas[0]);
                    Vec.lin(x, 1, x, dt * (1 - w2 - w3), d, dt * w2, d2, dt * w3, d3);
                }
            }
            ctx.stepDone(i, sigmas, x, denoised);
        }
    }
}
