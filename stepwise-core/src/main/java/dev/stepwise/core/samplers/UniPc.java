package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.History;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.sampling.UniPcStep;
import dev.stepwise.core.tensor.Vec;

/**
 * UniPC (Zhao et al. 2023), multistep, data prediction, B(h) = h (bh1), as ComfyUI's {@code sample_unipc}: each
 * step predicts with UniP-p, evaluates the model there, corrects with UniC-p using that output, and keeps the
 * output (taken at the uncorrected point) for the next step, so one model call per step; the last step is not
 * corrected and needs no call. See {@link UniPcStep} for the update. ComfyUI's conventions, followed here:
 * <ul>
 *   <li>a final sigma below 0.001 is replaced by 0.001 (the result keeps that much noise);</li>
 *   <li>the order is min(order, steps - 1), warmed up with orders 1, 2, ... (lower-order multistep start);</li>
 *   <li>lower_order_final: the step k (onto sigma_k) uses order min(order, steps + 1 - k), so the last step is
 *       UniP-1 (DDIM) and the one before it order at most 2;</li>
 *   <li>the schedule is built with steps + 1 sigmas and the second-to-last dropped (discardPenultimate).</li>
 * </ul>
 * One step (where ComfyUI's loop returns its input unchanged) is here a single DDIM step.
 *
 * <p>Order: with a corrector, UniPC-p is of order p + 1 (paper, Theorem 3.1), which {@code UniPcTest} measures
 * with lower_order_final off (order 3 gives 4). ComfyUI's lower_order_final makes the whole run's order lower:
 * the last step's UniP-1 has local error O(h^2) and the one before (order 2, corrected) O(h^4), and on the
 * Karras test problem of {@code DeterministicOrderTest} the registry order is the one measured there (2.05 on the
 * smooth list, 1.97 with alternating step lengths; the latter needs the last step to have the same relative length
 * at every step count, as the first-order final step dominates the error, see {@code OrderMeasurement.alternate}).
 */
public record UniPc(int order, UniPcStep.Variant variant, boolean lowerOrderFinal) implements Sampler {

    public static final Parameter ORDER = Parameter.integer("order", 3, 1, 3,
            "order p of the predictor UniP-p (the corrector UniC-p raises it to p + 1)");

    public static final SamplerInfo INFO = SamplerInfo.builder("uni_pc")
            .description("UniPC: multistep predictor UniP-p with corrector UniC-p, B(h) = h")
            .order(2).calls(1, false).stochastic(false).discardPenultimate()
            .reference("Zhao et al. 2023 (UniPC), sec. 3, UniP-p + UniC-p with B1(h) = h, data prediction; ComfyUI sample_unipc")
            .parameter(ORDER)
            .create(o -> new UniPc(o.integer("order"), UniPcStep.Variant.BH1, true));

    /** ComfyUI puts 0.001 in place of a smaller final sigma (bh1's B(h) = h is infinite at sigma = 0). */
    static final double FINAL_SIGMA = 0.001;

    public UniPc {
        if (order < 1 || order > 3) {
            throw new IllegalArgumentException("sampler uni_pc: order = " + order + " is out of range; allowed: 1..3");
        }
    }

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        int steps = sigmas.length - 1;
        if (steps < 1) {
            return;
        }
        double[] t = sigmas.clone();
        t[steps] = Math.max(t[steps], FINAL_SIGMA);
        int p = Math.max(1, Math.min(order, steps - 1));
        History m = new History(ctx, p);                          // x0 estimates keyed by lambda, newest first
        float[] model = ctx.buffer(), xs = ctx.buffer();
        ctx.denoise(x, t[0], model);
        m.push(model, UniPcStep.lambda(t[0]));
        for (int i = 0; i < steps; i++) {
            int k = i + 1;
            int o = Math.min(Math.min(p, k), lowerOrderFinal ? steps + 1 - k : p);
            Vec.copy(x, xs);
            UniPcStep.predict(x, xs, t[i], t[k], m, o, variant);           // UniP-o
            if (k < steps) {
                ctx.denoise(x, t[k], model);                                 // output at the predicted point
                UniPcStep.correct(x, xs, t[i], t[k], m, o, model, variant);  // UniC-o, reusing it
                m.push(model, UniPcStep.lambda(t[k]));
            }
            ctx.stepDone(i, sigmas, x, m.get(0));
        }
    }
}
