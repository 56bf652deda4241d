package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Registry;
import dev.stepwise.core.sampling.SamplerInfo;
import java.util.List;

/** The sampler registry, keyed by ComfyUI's sampler names. */
public final class Samplers {

    /** The single-call multistep samplers that take the UniC corrector as {@code name+unic}. */
    public static final List<String> UNIC_BASES = List.of("lms", "dpmpp_2m", "ipndm", "ipndm_v", "deis");

    private static final Registry<SamplerInfo> REGISTRY = new Registry<>("sampler", SamplerInfo::name, List.of(
            // ComfyUI's menu order (comfy/samplers.py KSAMPLER_NAMES, then ddim, uni_pc, uni_pc_bh2) ...
            Euler.INFO,
            EulerCfgPp.INFO,
            EulerAncestral.INFO,
            EulerAncestralCfgPp.INFO,
            Heun.INFO,
            Heunpp2.INFO,
            Dpm2.INFO,
            Dpm2Ancestral.INFO,
            Lms.INFO,
            DpmFast.INFO,
            DpmAdaptive.INFO,
            Dpmpp2sAncestral.INFO,
            Dpmpp2sAncestralCfgPp.INFO,
            DpmppSde.INFO,
            GpuNoiseAliases.DPMPP_SDE_GPU,
            DpmPp2M.INFO,
            DpmPp2MCfgPp.INFO,
            Dpmpp2mSde.INFO,
            GpuNoiseAliases.DPMPP_2M_SDE_GPU,
            Dpmpp2mSdeHeun.INFO,
            GpuNoiseAliases.DPMPP_2M_SDE_HEUN_GPU,
            Dpmpp3mSde.INFO,
            GpuNoiseAliases.DPMPP_3M_SDE_GPU,
            Ddpm.INFO,
            Lcm.INFO,
            Ipndm.INFO,
            IpndmV.INFO,
            Deis.INFO,
            ResMultistep.INFO,
            ResMultistepCfgPp.INFO,
            ResMultistepAncestral.INFO,
            ResMultistepAncestralCfgPp.INFO,
            GradientEstimation.INFO,
            GradientEstimationCfgPp.INFO,
            ErSde.INFO,
            Seeds2.INFO,
            Seeds3.INFO,
            SaSolver.INFO,
            SaSolverPece.INFO,
            ExpHeun2X0.INFO,
            ExpHeun2X0Sde.INFO,
            Ddim.INFO,
            UniPc.INFO,
            UniPcBh2.INFO,
            // ... then what no ComfyUI menu has: A1111's plms, the explicit Runge-Kutta family, A1111's restart, and
            // tcd (ComfyUI forks, Forge).
            Plms.INFO,
            Fehlberg2.INFO,
            Bosh3.INFO,
            Rk4.INFO,
            Dopri6.INFO,
            Dopri5.INFO,
            Restart.INFO,
            Tcd.INFO));

    static {
        for (String base : UNIC_BASES) {
            REGISTRY.add(UniCCorrected.info(REGISTRY.get(base)));
        }
    }

    private Samplers() {
    }

    /** Every registered sampler, in catalogue order. */
    public static List<SamplerInfo> all() {
        return REGISTRY.all();
    }

    public static List<String> names() {
        return REGISTRY.names();
    }

    /** The sampler of that name; the error lists the allowed names. */
    public static SamplerInfo get(String name) {
        if (REGISTRY.find(name).isEmpty() && name.endsWith(UniCCorrected.SUFFIX)) {
            throw new IllegalArgumentException("sampler '" + name + "': UniC corrects only single-call multistep"
                    + " samplers; allowed bases: " + String.join(", ", UNIC_BASES));
        }
        return REGISTRY.get(name);
    }
}
