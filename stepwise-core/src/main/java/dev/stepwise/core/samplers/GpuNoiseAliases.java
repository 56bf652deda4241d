package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.SamplerInfo;

/**
 * ComfyUI's {@code _gpu} samplers. In ComfyUI they differ from their base samplers only in where the Brownian tree
 * of the step noise is generated (torch's CUDA generator instead of the CPU one, {@code cpu=False}), which gives a
 * different, device-dependent noise path for the same seed. Stepwise has one device and one noise generator, and
 * reproducing torch's CUDA random stream is out of reach, so inventing a second seed stream would match nothing:
 * each alias is its base sampler under the ComfyUI name, with the same parameters, facts and output (bit-identical
 * for the same request), so that workflows naming them run.
 */
public final class GpuNoiseAliases {
    private GpuNoiseAliases() {
    }

    public static final SamplerInfo DPMPP_SDE_GPU = alias("dpmpp_sde_gpu", DpmppSde.INFO);
    public static final SamplerInfo DPMPP_2M_SDE_GPU = alias("dpmpp_2m_sde_gpu", Dpmpp2mSde.INFO);
    public static final SamplerInfo DPMPP_2M_SDE_HEUN_GPU = alias("dpmpp_2m_sde_heun_gpu", Dpmpp2mSdeHeun.INFO);
    public static final SamplerInfo DPMPP_3M_SDE_GPU = alias("dpmpp_3m_sde_gpu", Dpmpp3mSde.INFO);

    /** The base sampler under another name: same facts, parameters and factory. */
    static SamplerInfo alias(String name, SamplerInfo base) {
        return base.alias(name, base.description() + " (ComfyUI's GPU-noise name; same output as " + base.name() + ")",
                base.reference() + "; alias of " + base.name());
    }
}
