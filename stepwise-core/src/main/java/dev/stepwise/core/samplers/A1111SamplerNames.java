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
 * such as {@code 'scheduler': 'karras'}, in its menu order), then modules/sd_samplers_timesteps.py (DDIM, PLMS,
 * UniPC) and sd_samplers_lcm.py (LCM); the " Karras" / " Exponential" suffixes are the scheduler part of the older
 * combined labels. A bare label leaves the scheduler to the caller; {@link Label#automaticScheduler} is the one
 * A1111's "Automatic" scheduler picks for it. For the CLI and the HTTP server alike; ComfyUI names pass through
 * unchanged.
 */
public final class A1111SamplerNames {

    /** A resolved name: the catalogue sampler and the scheduler the label implies, if any. */
    public record Choice(String sampler, Optional<String> scheduler) {
    }

    /**
     * One entry of A1111's sampler menu.
     *
     * @param automaticScheduler the label's {@code 'scheduler'} option: what A1111's "Automatic" scheduler uses for it
     *                           (sd_samplers_kdiffusion.py get_sigmas); empty where A1111 uses the model's own list
     */
    public record Label(String label, String sampler, List<String> aliases, Optional<String> automaticScheduler) {
        public Label {
            aliases = List.copyOf(aliases);
        }
    }

    /** Lower-cased label or alias → catalogue sampler. */
    private static final Map<String, String> SAMPLERS = new LinkedHashMap<>();
    private static final Map<String, Label> BY_NAME = new LinkedHashMap<>();
    private static final List<Label> LABELS = new ArrayList<>();

    /** The scheduler suffixes of the combined labels ("DPM++ 2M Karras"), lower-cased, → catalogue scheduler. */
    private static final Map<String, String> SUFFIXES = Map.of(" karras", "karras", " exponential", "exponential");

    static {
        // label, catalogue name, 'scheduler' option, aliases (sd_samplers_kdiffusion.py samplers_k_diffusion, v1.10)
        label("DPM++ 2M", "dpmpp_2m", "karras", "k_dpmpp_2m");
        label("DPM++ SDE", "dpmpp_sde", "karras", "k_dpmpp_sde");
        label("DPM++ 2M SDE", "dpmpp_2m_sde", "exponential", "k_dpmpp_2m_sde");
        label("DPM++ 2M SDE Heun", "dpmpp_2m_sde_heun", "exponential", "k_dpmpp_2m_sde_heun");
        label("DPM++ 2S a", "dpmpp_2s_ancestral", "karras", "k_dpmpp_2s_a");
        label("DPM++ 3M SDE", "dpmpp_3m_sde", "exponential", "k_dpmpp_3m_sde");
        label("Euler a", "euler_ancestral", null, "k_euler_a", "k_euler_ancestral");
        label("Euler", "euler", null, "k_euler");
        label("LMS", "lms", null, "k_lms");
        label("Heun", "heun", null, "k_heun");
        label("DPM2", "dpm_2", "karras", "k_dpm_2");
        label("DPM2 a", "dpm_2_ancestral", "karras", "k_dpm_2_a");
        label("DPM fast", "dpm_fast", null, "k_dpm_fast");
        label("DPM adaptive", "dpm_adaptive", null, "k_dpm_ad");
        label("Restart", "restart", "karras", "restart");
        // sd_samplers_timesteps.py, sd_samplers_lcm.py
        label("DDIM", "ddim", null, "ddim");
        label("PLMS", "plms", null, "plms");
        label("UniPC", "uni_pc", null, "unipc");
        label("LCM", "lcm", null, "k_lcm");
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
     * One of A1111's "Schedule type" entries (modules/sd_schedulers.py {@code schedulers}): its API name, menu label,
     * aliases, default rho (-1: none) and the catalogue scheduler it stands for. "Automatic" alone stands for
     * "normal"; with a sampler label, callers use the label's own {@link Label#automaticScheduler} first, as A1111's
     * get_sigmas does.
     */
    public record ScheduleType(String name, String label, List<String> aliases, double defaultRho, String scheduler) {
    }

    private static final List<ScheduleType> SCHEDULE_TYPES = List.of(
            new ScheduleType("automatic", "Automatic", List.of(), -1, "normal"),
            new ScheduleType("karras", "Karras", List.of(), 7.0, "karras"),
            new ScheduleType("exponential", "Exponential", List.of(), -1, "exponential"),
            new ScheduleType("sgm_uniform", "SGM Uniform", List.of("SGMUniform"), -1, "sgm_uniform"),
            new ScheduleType("kl_optimal", "KL Optimal", List.of(), -1, "kl_optimal"),
            new ScheduleType("align_your_steps", "Align Your Steps", List.of(), -1, "ays"),
            new ScheduleType("simple", "Simple", List.of(), -1, "simple"),
            new ScheduleType("normal", "Normal", List.of(), -1, "normal"),
            new ScheduleType("ddim", "DDIM", List.of(), -1, "ddim_uniform"),
            new ScheduleType("beta", "Beta", List.of(), -1, "beta"));

    private static final Map<String, ScheduleType> SCHEDULE_TYPE_BY_NAME = new LinkedHashMap<>();

    static {
        for (ScheduleType t : SCHEDULE_TYPES) {
            SCHEDULE_TYPE_BY_NAME.put(t.name(), t);
            SCHEDULE_TYPE_BY_NAME.put(t.label().toLowerCase(Locale.ROOT), t);
            t.aliases().forEach(a -> SCHEDULE_TYPE_BY_NAME.put(a.toLowerCase(Locale.ROOT), t));
        }
    }

    /** A1111's schedule types in its menu order. */
    public static List<ScheduleType> scheduleTypes() {
        return SCHEDULE_TYPES;
    }

    /** The schedule type of an A1111 API name, label or alias ("sgm_uniform", "SGM Uniform"), case-insensitive. */
    public static Optional<ScheduleType> scheduleType(String name) {
        return Optional.ofNullable(SCHEDULE_TYPE_BY_NAME.get(name.strip().toLowerCase(Locale.ROOT)));
    }

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
        return scheduleType(name).map(ScheduleType::scheduler).orElseThrow(() -> new IllegalArgumentException(
                "scheduler '" + name + "' is not known here; allowed: the names of 'stepwise list schedulers', or "
                        + "A1111's " + String.join(", ", SCHEDULE_TYPES.stream().map(ScheduleType::label).toList())));
    }

    private static void label(String label, String sampler, String automatic, String... aliases) {
        Label l = new Label(label, sampler, List.of(aliases), Optional.ofNullable(automatic));
        LABELS.add(l);
        SAMPLERS.put(label.toLowerCase(Locale.ROOT), sampler);
        BY_NAME.put(label.toLowerCase(Locale.ROOT), l);
        for (String alias : aliases) {
            SAMPLERS.put(alias, sampler);
            BY_NAME.put(alias, l);
        }
    }

    private A1111SamplerNames() {
    }

    /** A1111's labels, in its menu order. */
    public static List<String> labels() {
        return LABELS.stream().map(Label::label).toList();
    }

    /**
     * A1111's menu label of a catalogue sampler ("dpmpp_2m" → "DPM++ 2M"), as its infotext names it so that PNG Info
     * sends the same sampler back; empty for a sampler A1111 does not offer.
     */
    public static Optional<String> label(String sampler) {
        return LABELS.stream().filter(l -> l.sampler().equals(sampler)).map(Label::label).findFirst();
    }

    /**
     * A1111's "Schedule type" label of a catalogue scheduler ("karras" → "Karras", "ays" → "Align Your Steps"), never
     * "Automatic" (which depends on the sampler); empty for a scheduler A1111 does not offer.
     */
    public static Optional<String> scheduleLabel(String scheduler) {
        return SCHEDULE_TYPES.stream().filter(t -> !t.name().equals("automatic") && t.scheduler().equals(scheduler))
                .map(ScheduleType::label).findFirst();
    }

    /** A1111's menu entries, in its order, with their aliases. */
    public static List<Label> entries() {
        return List.copyOf(LABELS);
    }

    /** The menu entry of a bare label or alias ("DPM++ 2M", "k_euler_a"; case-insensitive), if it is one. */
    public static Optional<Label> entry(String name) {
        String key = name.strip().toLowerCase(Locale.ROOT);
        return Optional.ofNullable(BY_NAME.get(key));
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
            throw new IllegalArgumentException(e.getMessage() + "; or an A1111 label: " + String.join(", ", labels())
                    + " (optionally with \" Karras\" or \" Exponential\")", e);
        }
        return new Choice(name, Optional.empty());
    }
}
