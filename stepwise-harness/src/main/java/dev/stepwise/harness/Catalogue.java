package dev.stepwise.harness;

import dev.stepwise.core.sampling.SamplerInfo;

/**
 * The registry's facts as users read them, the same wherever they are shown ({@code stepwise list}, the server's
 * catalogue): model calls per step and the kind of sampler.
 */
public final class Catalogue {
    private Catalogue() {
    }

    /**
     * Model calls per step: "2 (1 last)" when the final step onto sigma = 0 is a single Euler call; "adaptive" for
     * samplers that choose their own steps; for samplers with their own exact rule, the count for a 10-step run.
     */
    public static String calls(SamplerInfo s) {
        if (s.adaptive()) {
            return "adaptive";
        }
        if (s.nfeRule() != null) {
            double[] tenSteps = new double[11];
            for (int i = 0; i < 10; i++) {
                tenSteps[i] = 10 - i;
            }
            return "varies (" + s.expectedNfe(tenSteps) + " in 10 steps)";
        }
        return s.callsPerStep() + (s.finalStepSingleCall() && s.callsPerStep() > 1 ? " (1 last)" : "");
    }

    /** "stochastic" (fresh noise every run) or "converging" (a deterministic solver), "+ CFG++" for CFG++ samplers. */
    public static String kind(SamplerInfo s) {
        return (s.stochastic() ? "stochastic" : "converging") + (s.cfgPp() ? " + CFG++" : "");
    }
}
