package dev.stepwise.core.schedule;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scheduler registry, keyed by ComfyUI's scheduler names, in ComfyUI's KSampler menu order, followed
 * by the schedulers ComfyUI offers as nodes ({@code ays}, {@code gits}).
 */
public final class Schedulers {
    private static final Map<String, SchedulerInfo> BY_NAME = new LinkedHashMap<>();

    static {
        for (SchedulerInfo info : List.of(
                NormalScheduler.NORMAL,
                KarrasScheduler.INFO,
                ExponentialScheduler.INFO,
                NormalScheduler.SGM_UNIFORM,
                SimpleScheduler.INFO,
                DdimUniformScheduler.INFO,
                BetaScheduler.INFO,
                LinearQuadraticScheduler.INFO,
                KlOptimalScheduler.INFO,
                AlignYourStepsScheduler.INFO,
                GitsScheduler.INFO
        )) {
            if (BY_NAME.put(info.name(), info) != null) {
                throw new IllegalStateException("scheduler " + info.name() + " registered twice");
            }
        }
    }

    private Schedulers() {
    }

    public static List<SchedulerInfo> all() {
        return List.copyOf(BY_NAME.values());
    }

    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    /** The scheduler of that name; the error lists the allowed names. */
    public static SchedulerInfo get(String name) {
        SchedulerInfo info = BY_NAME.get(name);
        if (info == null) {
            throw new IllegalArgumentException("unknown scheduler '" + name + "'; allowed: " + String.join(", ", BY_NAME.keySet()));
        }
        return info;
    }
}
