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
                Euler.INFO,
                EulerAncestral.INFO,
                Heun.INFO,
                Dpm2.INFO,
                Dpm2Ancestral.INFO,
                Lms.INFO,
                Dpmpp2sAncestral.INFO,
                DpmppSde.INFO,
                DpmPp2M.INFO,
                Dpmpp2mSde.INFO,
                Dpmpp3mSde.INFO,
                Ddpm.INFO,
                Ddim.INFO,
                EulerCfgPp.INFO,
                EulerAncestralCfgPp.INFO,
                Dpmpp2sAncestralCfgPp.INFO,
                DpmPp2MCfgPp.INFO,
                ResMultistep.INFO,
                ResMultistepCfgPp.INFO,
                ResMultistepAncestral.INFO,
                ResMultistepAncestralCfgPp.INFO,
                GradientEstimation.INFO,
                GradientEstimationCfgPp.INFO,
                Ipndm.INFO,
                IpndmV.INFO,
                Deis.INFO,
                Plms.INFO,
                UniPc.INFO,
                UniPcBh2.INFO
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
