package dev.stepwise.core.schedule;

import dev.stepwise.core.param.Options;
import dev.stepwise.core.param.Parameter;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** A scheduler's registry entry under its ComfyUI name. */
public record SchedulerInfo(String name, String description, String reference, List<Parameter> parameters,
                            Function<Options, Scheduler> factory) {

    public SchedulerInfo {
        parameters = List.copyOf(parameters);
    }

    public Scheduler create(Map<String, ?> parameterValues) {
        return factory.apply(options(parameterValues));
    }

    public Scheduler create() {
        return create(Map.of());
    }

    public Options options(Map<String, ?> parameterValues) {
        return Options.resolve("scheduler " + name, parameters, parameterValues);
    }
}
