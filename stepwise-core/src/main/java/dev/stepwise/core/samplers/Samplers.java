package dev.stepwise.core.samplers;

import dev.stepwise.core.sampling.SamplerInfo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The sampler registry, keyed by ComfyUI's sampler names. */
public final class Samplers {
    private static final Map<String, SamplerInfo> BY_NAME = new LinkedHashMap<>();

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
                // ComfyUI's menu order; restart (A1111) and tcd (ComfyUI forks, Forge) are not in ComfyUI's core list.
                Lcm.INFO,
                Restart.INFO,
                ErSde.INFO,
                Seeds2.INFO,
                Seeds3.INFO,
                SaSolver.INFO,
                SaSolverPece.INFO,
                Tcd.INFO
        )) {
            if (BY_NAME.put(info.name(), info) != null) {
                throw new IllegalStateException("sampler " + info.name() + " registered twice");
            }
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
        if (info == null) {
            throw new IllegalArgumentException("unknown sampler '" + name + "'; allowed: " + String.join(", ", BY_NAME.keySet()));
        }
        return info;
    }
}
