package dev.stepwise.server;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * AUTOMATIC1111's sampler and scheduler names and the registry's (ComfyUI's) names they stand for: the one place the
 * A1111 API's naming convention lives. Labels and aliases follow A1111's lists (modules/sd_samplers_kdiffusion.py
 * {@code samplers_k_diffusion}, modules/sd_schedulers.py {@code schedulers}); each maps to ComfyUI's sampler of the
 * same k-diffusion function. A1111's old "X Karras" sampler names carry the Karras schedule; "Automatic" is the
 * registry's "normal" (A1111's own default list, from the model's timesteps, is its near neighbour).
 */
final class A1111Names {
    private A1111Names() {
    }

    /** An A1111 sampler: its label, aliases and the registry name. */
    record Sampler(String label, List<String> aliases, String name) {
    }

    /** An A1111 scheduler: its name, label, aliases, default rho (-1: none) and the registry name. */
    record Scheduler(String name, String label, List<String> aliases, double defaultRho, String registry) {
    }

    static final List<Sampler> SAMPLERS = List.of(
            new Sampler("DPM++ 2M", List.of("k_dpmpp_2m"), "dpmpp_2m"),
            new Sampler("DPM++ SDE", List.of("k_dpmpp_sde"), "dpmpp_sde"),
            new Sampler("DPM++ 2M SDE", List.of("k_dpmpp_2m_sde"), "dpmpp_2m_sde"),
            new Sampler("DPM++ 2M SDE Heun", List.of("k_dpmpp_2m_sde_heun"), "dpmpp_2m_sde_heun"),
            new Sampler("DPM++ 2S a", List.of("k_dpmpp_2s_a"), "dpmpp_2s_ancestral"),
            new Sampler("DPM++ 3M SDE", List.of("k_dpmpp_3m_sde"), "dpmpp_3m_sde"),
            new Sampler("Euler a", List.of("k_euler_a", "k_euler_ancestral"), "euler_ancestral"),
            new Sampler("Euler", List.of("k_euler"), "euler"),
            new Sampler("LMS", List.of("k_lms"), "lms"),
            new Sampler("Heun", List.of("k_heun"), "heun"),
            new Sampler("DPM2", List.of("k_dpm_2"), "dpm_2"),
            new Sampler("DPM2 a", List.of("k_dpm_2_a"), "dpm_2_ancestral"),
            new Sampler("DPM fast", List.of("k_dpm_fast"), "dpm_fast"),
            new Sampler("DPM adaptive", List.of("k_dpm_ad"), "dpm_adaptive"),
            new Sampler("Restart", List.of("restart"), "restart"),
            new Sampler("DDIM", List.of("ddim"), "ddim"),
            new Sampler("PLMS", List.of("plms"), "plms"),
            new Sampler("UniPC", List.of("unipc"), "uni_pc"),
            new Sampler("LCM", List.of("k_lcm"), "lcm"));

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

    private static final Map<String, Sampler> SAMPLER_BY_NAME = new LinkedHashMap<>();
    private static final Map<String, Scheduler> SCHEDULER_BY_NAME = new LinkedHashMap<>();

    static {
        for (Sampler s : SAMPLERS) {
            SAMPLER_BY_NAME.put(key(s.label()), s);
            s.aliases().forEach(a -> SAMPLER_BY_NAME.put(key(a), s));
        }
        for (Scheduler s : SCHEDULERS) {
            SCHEDULER_BY_NAME.put(key(s.name()), s);
            SCHEDULER_BY_NAME.put(key(s.label()), s);
            s.aliases().forEach(a -> SCHEDULER_BY_NAME.put(key(a), s));
        }
    }

    private static String key(String name) {
        return name.strip().toLowerCase(Locale.ROOT);
    }

    /** A sampler and the scheduler its name implies ("DPM++ 2M Karras": karras), or null for none. */
    record Resolved(String sampler, String scheduler) {
    }

    /**
     * The registry sampler for an A1111 sampler name (label or alias; an old "X Karras" name; or a registry name).
     *
     * @throws ApiException naming {@code field} and the allowed names
     */
    static Resolved sampler(String given, String field) {
        String k = key(given);
        Sampler s = SAMPLER_BY_NAME.get(k);
        if (s != null) {
            return new Resolved(s.name(), null);
        }
        if (k.endsWith(" karras") && SAMPLER_BY_NAME.containsKey(k.substring(0, k.length() - " karras".length()))) {
            return new Resolved(SAMPLER_BY_NAME.get(k.substring(0, k.length() - " karras".length())).name(), "karras");
        }
        if (dev.stepwise.core.samplers.Samplers.names().contains(given)) {
            return new Resolved(given, null);
        }
        throw ApiException.bad(field, field + " '" + given + "' is not a sampler here; allowed: "
                + String.join(", ", SAMPLERS.stream().map(Sampler::label).toList())
                + " (or a ComfyUI name, see GET /api/samplers)");
    }

    /** The registry scheduler for an A1111 scheduler name or label (or a registry name). */
    static String scheduler(String given, String field) {
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

    /** The A1111 label of a registry sampler, for the infotext A1111 clients read back ("DPM++ 2M"); else the name. */
    static String label(String registryName) {
        return SAMPLERS.stream().filter(s -> s.name().equals(registryName)).map(Sampler::label).findFirst()
                .orElse(registryName);
    }

    /** The A1111 label of a registry scheduler ("Karras"); else the name. */
    static String schedulerLabel(String registryName) {
        return SCHEDULERS.stream().skip(1).filter(s -> s.registry().equals(registryName)).map(Scheduler::label)
                .findFirst().orElse(registryName);
    }
}
