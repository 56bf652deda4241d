package dev.stepwise.core.samplers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A1111's sampler labels ("DPM++ 2M Karras", "Euler a") and their k_* aliases, resolved to a catalogue sampler
 * (ComfyUI's name) and, where the label names one, a scheduler. The table follows A1111's
 * modules/sd_samplers_kdiffusion.py {@code samplers_k_diffusion} (label, k-diffusion function, aliases, options
 * such as {@code 'scheduler': 'karras'}) and modules/sd_samplers_timesteps.py (DDIM, PLMS, UniPC); the
 * " Karras" / " Exponential" suffixes are the scheduler part of the older combined labels. A bare label leaves the
 * scheduler to the caller. For the CLI and the HTTP server alike; ComfyUI names pass through unchanged.
 */
public final class A1111SamplerNames {

    /** A resolved name: the catalogue sampler and the scheduler the label implies, if any. */
    public record Choice(String sampler, Optional<String> scheduler) {
    }

    /** Lower-cased label or alias → catalogue sampler. */
    private static final Map<String, String> SAMPLERS = new LinkedHashMap<>();
    private static final List<String> LABELS = new ArrayList<>();

    /** The scheduler suffixes of the combined labels ("DPM++ 2M Karras"), lower-cased, → catalogue scheduler. */
    private static final Map<String, String> SUFFIXES = Map.of(" karras", "karras", " exponential", "exponential");

    static {
        // label, catalogue name, k_* aliases (sd_samplers_kdiffusion.py samplers_k_diffusion)
        label("Euler a", "euler_ancestral", "k_euler_a", "k_euler_ancestral");
        label("Euler", "euler", "k_euler");
        label("LMS", "lms", "k_lms");
        label("Heun", "heun", "k_heun");
        label("DPM2", "dpm_2", "k_dpm_2");
        label("DPM2 a", "dpm_2_ancestral", "k_dpm_2_a");
        label("DPM++ 2S a", "dpmpp_2s_ancestral", "k_dpmpp_2s_a");
        label("DPM++ 2M", "dpmpp_2m", "k_dpmpp_2m");
        label("DPM++ SDE", "dpmpp_sde", "k_dpmpp_sde");
        label("DPM++ 2M SDE", "dpmpp_2m_sde", "k_dpmpp_2m_sde");
        label("DPM++ 2M SDE Heun", "dpmpp_2m_sde_heun", "k_dpmpp_2m_sde_heun");
        label("DPM++ 3M SDE", "dpmpp_3m_sde", "k_dpmpp_3m_sde");
        label("DPM fast", "dpm_fast", "k_dpm_fast");
        label("DPM adaptive", "dpm_adaptive", "k_dpm_ad");
        label("Restart", "restart");
        // sd_samplers_timesteps.py
        label("DDIM", "ddim");
        label("PLMS", "plms");
        label("UniPC", "uni_pc");
        // the combined labels' aliases that carry their scheduler (k_..._ka)
        SAMPLERS.put("k_lms_ka", "lms karras");
        SAMPLERS.put("k_dpm_2_ka", "dpm_2 karras");
        SAMPLERS.put("k_dpm_2_a_ka", "dpm_2_ancestral karras");
        SAMPLERS.put("k_dpmpp_2s_a_ka", "dpmpp_2s_ancestral karras");
        SAMPLERS.put("k_dpmpp_2m_ka", "dpmpp_2m karras");
        SAMPLERS.put("k_dpmpp_sde_ka", "dpmpp_sde karras");
        SAMPLERS.put("k_dpmpp_2m_sde_ka", "dpmpp_2m_sde karras");
    }

    /**
     * A1111's "Schedule type" labels (modules/sd_schedulers.py {@code schedulers}) → catalogue scheduler.
     * "Automatic" is taken as "normal", as the server's A1111 API takes it (A1111's own default list, from the
     * model's timesteps, is its near neighbour).
     */
    private static final Map<String, String> SCHEDULE_TYPES = Map.of("automatic", "normal", "karras", "karras",
            "exponential", "exponential", "sgm uniform", "sgm_uniform", "kl optimal", "kl_optimal",
            "align your steps", "ays", "simple", "simple", "normal", "normal", "ddim", "ddim_uniform", "beta", "beta");

    /**
     * The catalogue scheduler for an A1111 "Schedule type" label ("Karras", "SGM Uniform"), case-insensitive, or
     * {@code name} itself when it is a catalogue name or a schedule file ({@code file:...}).
     *
     * @throws IllegalArgumentException naming the value and the allowed labels
     */
    public static String scheduler(String name) {
        if (dev.stepwise.core.schedule.Schedulers.names().contains(name) || name.startsWith("file:")) {
            return name;
        }
        String hit = SCHEDULE_TYPES.get(name.strip().toLowerCase(Locale.ROOT));
        if (hit == null) {
            throw new IllegalArgumentException("scheduler '" + name + "' is not known here; allowed: the names of "
                    + "'stepwise list schedulers', or A1111's Automatic, Karras, Exponential, SGM Uniform, KL Optimal,"
                    + " Align Your Steps, Simple, Normal, DDIM, Beta");
        }
        return hit;
    }

    private static void label(String label, String sampler, String... aliases) {
        LABELS.add(label);
        SAMPLERS.put(label.toLowerCase(Locale.ROOT), sampler);
        for (String alias : aliases) {
            SAMPLERS.put(alias, sampler);
        }
    }

    private A1111SamplerNames() {
    }

    /** A1111's labels, in its menu order. */
    public static List<String> labels() {
        return List.copyOf(LABELS);
    }

    /**
     * The catalogue sampler (and scheduler, where the label names one) for a ComfyUI name, an A1111 label or a
     * k_* alias; case-insensitive for A1111 labels. The error names the value and what is allowed.
     */
    public static Choice resolve(String name) {
        if (Samplers.names().contains(name)) {
            return new Choice(name, Optional.empty());
        }
        String key = name.strip().toLowerCase(Locale.ROOT);
        String hit = SAMPLERS.get(key);
        if (hit != null) {
            int space = hit.indexOf(' ');
            return space < 0 ? new Choice(hit, Optional.empty())
                    : new Choice(hit.substring(0, space), Optional.of(hit.substring(space + 1)));
        }
        for (Map.Entry<String, String> suffix : SUFFIXES.entrySet()) {
            if (key.endsWith(suffix.getKey())) {
                String base = SAMPLERS.get(key.substring(0, key.length() - suffix.getKey().length()));
                if (base != null && !base.contains(" ")) {
                    return new Choice(base, Optional.of(suffix.getValue()));
                }
            }
        }
        // Samplers.get gives the ComfyUI error (UniC bases or the list of names); add A1111's labels to it.
        try {
            Samplers.get(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + "; or an A1111 label: " + String.join(", ", LABELS)
                    + " (optionally with \" Karras\" or \" Exponential\")", e);
        }
        return new Choice(name, Optional.empty());
    }
}
