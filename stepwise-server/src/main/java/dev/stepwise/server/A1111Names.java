package dev.stepwise.server;

import dev.stepwise.core.samplers.A1111SamplerNames;

/**
 * The A1111 API's naming convention over core's {@link A1111SamplerNames} (sampler labels and schedule types), with
 * the API's errors: bad names become a 400 naming the field. "Automatic" is the sampler label's own scheduler option where it has one ("DPM++ 2M": karras,
 * as A1111's get_sigmas), else the registry's "normal" (A1111's own default list, from the model's timesteps, is its
 * near neighbour).
 */
final class A1111Names {
    private A1111Names() {
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
        if (given.strip().equalsIgnoreCase("automatic")) {
            return sampler.automatic();
        }
        var type = A1111SamplerNames.scheduleType(given);
        if (type.isPresent()) {
            return type.get().scheduler();
        }
        if (dev.stepwise.core.schedule.Schedulers.names().contains(given)) {
            return given;
        }
        throw ApiException.bad(field, field + " '" + given + "' is not a scheduler here; allowed: "
                + String.join(", ", A1111SamplerNames.scheduleTypes().stream()
                        .map(A1111SamplerNames.ScheduleType::label).toList())
                + " (or a ComfyUI name, see GET /api/schedulers)");
    }
}
