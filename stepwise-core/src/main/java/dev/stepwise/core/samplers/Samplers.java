package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.SamplerInfo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The sampler registry, keyed by ComfyUI's sampler names. */
public final class Samplers {
    private static final Map<String, SamplerInfo> BY_NAME = new LinkedHashMap<>();

    /** The single-call multistep samplers that take the UniC corrector as {@code name+unic}. */
    public static final List<String> UNIC_BASES = List.of("lms", "dpmpp_2m", "ipndm", "ipndm_v", "deis");

    static {
        for (SamplerInfo info : List.of(
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
                Tcd.INFO
        )) {
            if (BY_NAME.put(info.name(), info) != null) {
                throw new IllegalStateException("sampler " + info.name() + " registered twice");
            }
        }
        for (String base : UNIC_BASES) {
            SamplerInfo info = UniCCorrected.info(BY_NAME.get(base));
            BY_NAME.put(info.name(), info);
        }
    }

    private Samplers() {
    }

    /** Every registered sampler, in catalogue order. */
    public static List<SamplerInfo> all() {
        return List.copyOf(BY_NAME.values());
    }

    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    /** The sampler of that name; the error lists the allowed names. */
    public static SamplerInfo get(String name) {
        SamplerInfo info = BY_NAME.get(name);
        if (info == null && name.endsWith(UniCCorrected.SUFFIX)) {
            throw new IllegalArgumentException("sampler '" + name + "': UniC corrects only single-call multistep"
                    + " samplers; allowed bases: " + String.join(", ", UNIC_BASES));
        }
        if (info == null) {
            throw new IllegalArgumentException("unknown sampler '" + name + "'; allowed: " + String.join(", ", BY_NAME.keySet()));
        }
        return info;
    }
}
