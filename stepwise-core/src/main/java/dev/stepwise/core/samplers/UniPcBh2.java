package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.sampling.UniPcStep;

/**
 * UniPC with B(h) = e^h - 1 (bh2), which the paper recommends for guided sampling (Zhao et al. 2023, sec. 3);
 * otherwise ComfyUI's {@code sample_unipc_bh2} is {@link UniPc} exactly.
 */
public record UniPcBh2(int order) implements Sampler {

    public static final SamplerInfo INFO = SamplerInfo.builder("uni_pc_bh2")
            .description("UniPC: multistep predictor UniP-p with corrector UniC-p, B(h) = e^h - 1")
            .order(UniPc.INFO.order()).calls(1, false).stochastic(false).discardPenultimate()
            .reference("Zhao et al. 2023 (UniPC), sec. 3, UniP-p + UniC-p with B2(h) = e^h - 1, data prediction; ComfyUI sample_unipc_bh2")
            .parameter(UniPc.ORDER)
            .create(o -> new UniPcBh2(o.integer("order")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        new UniPc(order, UniPcStep.Variant.BH2, true).sample(ctx, x, sigmas);
    }
}
