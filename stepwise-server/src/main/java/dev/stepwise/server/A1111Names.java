package dev.stepwise.server;

import dev.stepwise.core.samplers.A1111SamplerNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * AUTOMATIC1111's scheduler names and the registry's (ComfyUI's) names they stand for, and the sampler names through
 * core's {@link A1111SamplerNames}: the A1111 API's naming convention. Schedulers follow A1111's modules/sd_schedulers.py
 * {@code schedulers}. "Automatic" is the sampler label's own scheduler option where it has one ("DPM++ 2M": karras,
 * as A1111's get_sigmas), else the registry's "normal" (A1111's own default list, from the model's timesteps, is its
 * near neighbour).
 */
final class A1111Names {
    private A1111Names() {
    }

    /** An A1111 scheduler: its name, label, aliases, default rho (-1: none) and the registry name. */
    record Scheduler(String name, String label, List<String> aliases, double defaultRho, String registry) {
    }

    static final List<Scheduler> SCHEDULERS = List.of(
            new Scheduler("automatic", "Automatic", List.of(), -1, "normal"),
            new Scheduler("karras", "Karras", List.of(), 7.0, "karras"),
            new Scheduler("exponential", "Exponential", List.of(), -1, "exponential"),
            new Scheduler("sgm_uniform", "SGM Uniform", List.of("SGMUniform"), -1, "sgm_uniform"),
            new Scheduler("kl_optimal", "KL Optimal", List.of(), -1, "kl_optimal"),
            new Scheduler("align_your_steps", "Align Your Steps", List.of(), -1, "ays"),
            new Scheduler("simple", "Simple", List.of(), -1, "simple"),
            new Scheduler("normal", "Normal", List.of(), -1, "normal"),
            new Scheduler("ddim", "DDIM", List.of(), -1, "ddim_uniform"),
            new Scheduler("beta", "Beta", List.of(), -1, "beta"));

    private static final Map<String, Scheduler> SCHEDULER_BY_NAME = new LinkedHashMap<>();

    static {
        for (Scheduler s : SCHEDULERS) {
            SCHEDULER_BY_NAME.put(key(s.name()), s);
            SCHEDULER_BY_NAME.put(key(s.label()), s);
            s.aliases().forEach(a -> SCHEDULER_BY_NAME.put(key(a), s));
        }
    }

    private static String key(String name) {
        return name.strip().toLowerCase(Locale.ROOT);
    }

    /**
     * A sampler, the scheduler its name carries ("DPM++ 2M Karras": karras) or null, and the one A1111's "Automatic"
     * picks for it ("DPM++ 2M": karras; "Euler": normal).
     */
    record Resolved(String sampler, String scheduler, String automatic) {
    }

    /**
     * The registry sampler for an A1111 sampler name (label or alias; an old "X Karras" name; or a registry name).
     *
     * @throws ApiException naming {@code field} and the allowed names
     */
    static Resolved sampler(String given, String field) {
        A1111SamplerNames.Choice c;
        try {
            c = A1111SamplerNames.resolve(given);
        } catch (IllegalArgumentException e) {
            throw ApiException.bad(field, field + " '" + given + "' is not a sampler here; allowed: "
                    + String.join(", ", A1111SamplerNames.labels()) + " (or a ComfyUI name, see GET /api/samplers)");
        }
        String implied = c.scheduler().orElse(null);
        String automatic = implied != null ? implied : A1111SamplerNames.entry(given)
                .flatMap(A1111SamplerNames.Label::automaticScheduler).orElse("normal");
        return new Resolved(c.sampler(), implied, automatic);
    }

    /** The registry scheduler for an A1111 scheduler name or label (or a registry name); "Automatic" as the sampler says. */
    static String scheduler(String given, Resolved sampler, String field) {
        if (key(given).equals("automatic")) {
            return sampler.automatic();
        }
        Scheduler s = SCHEDULER_BY_NAME.get(key(given));
        if (s != null) {
            return s.registry();
        }
        if (dev.stepwise.core.schedule.Schedulers.names().contains(given)) {
            return given;
        }
        throw ApiException.bad(field, field + " '" + given + "' is not a scheduler here; allowed: "
                + String.join(", ", SCHEDULERS.stream().map(Scheduler::label).toList())
                + " (or a ComfyUI name, see GET /api/schedulers)");
    }
}
