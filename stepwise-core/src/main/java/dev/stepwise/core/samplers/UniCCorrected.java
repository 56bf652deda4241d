package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.History;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.sampling.UniPcStep;
import dev.stepwise.core.tensor.Vec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Any single-call multistep sampler with the UniC corrector of Zhao et al. 2023 (sec. 3: UniC can follow any
 * existing solver and raises its order), e.g. {@code dpmpp_2m+unic}. The base sampler runs unchanged; each of its model
 * calls at the start of step i, D(x_i, sigma_i), is intercepted: the output is computed at the base's point x_i,
 * then x_i is replaced in place by UniC-p from the corrected x_{i-1}, the stored estimates D_{i-1}, D_{i-2}, ... and
 * that output, and the base continues from the corrected x_i with the same output (as UniPC reuses the model
 * output at the uncorrected point). No model call is added: the NFE is the base's; the final step, which has no
 * following call, is not corrected (as in UniPC).
 *
 * <p>p is the base's order (fewer while the history fills), so that a base of order p becomes of order p + 1
 * (paper, Theorem 3.1: UniC-p on a p-th order predictor gives order p + 1).
 */
public record UniCCorrected(Sampler base, int order, UniPcStep.Variant variant) implements Sampler {

    public static final String SUFFIX = "+unic";

    public static final Parameter VARIANT = Parameter.choice("unic_variant", List.of("bh1", "bh2"),
            "UniC's B(h): bh1 = h, bh2 = e^h - 1 (the paper recommends bh2 with guidance)");

    /** The registry entry of {@code base+unic}: the base's facts with the order one higher. */
    public static SamplerInfo info(SamplerInfo base) {
        List<Parameter> parameters = new ArrayList<>(base.parameters());
        parameters.add(VARIANT);
        SamplerInfo.Builder b = SamplerInfo.builder(base.name() + SUFFIX)
                .description(base.description() + ", corrected by UniC after each step (no extra model call)")
                .order(base.order() + 1).calls(base.callsPerStep(), base.finalStepSingleCall()).stochastic(false)
                .reference("Zhao et al. 2023 (UniPC), UniC-p (sec. 3, Theorem 3.1) after each " + base.name() + " step");
        if (base.nfeRule() != null) {
            b.nfeRule(base.nfeRule());
        }
        if (base.discardPenultimate()) {
            b.discardPenultimate();
        }
        return b
                .parameters(parameters)
                .create(o -> {
                    Map<String, Object> baseValues = new LinkedHashMap<>(o.asMap());
                    baseValues.remove(VARIANT.name());
                    return new UniCCorrected(base.create(baseValues), base.order(),
                            UniPcStep.Variant.valueOf(o.choice(VARIANT.name()).toUpperCase(java.util.Locale.ROOT)));
                });
    }

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        History m = new History(ctx, order);                      // x0 estimates keyed by lambda, newest first
        float[] xs = ctx.buffer();                                 // the corrected x where the last call was made
        double[] sigmaS = {Double.NaN};
        SamplingContext.Decoration decoration = ctx.decorateModelCall(call -> (xi, sigma, out, uncondOut) -> {
            call.denoise(xi, sigma, out, uncondOut);
            if (m.size() > 0 && sigma < sigmaS[0]) {
                int p = Math.min(order, m.size());
                UniPcStep.correct(xi, xs, sigmaS[0], sigma, m, p, out, variant);
            }
            Vec.copy(xi, xs);
            sigmaS[0] = sigma;
            m.push(out, UniPcStep.lambda(sigma));
        });
        try {
            base.sample(ctx, x, sigmas);
        } finally {
            decoration.close();
        }
    }
}
