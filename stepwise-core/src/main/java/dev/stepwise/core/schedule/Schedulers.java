package dev.stepwise.core.schedule;

import dev.stepwise.core.param.Registry;
import java.util.List;

/**
 * The scheduler registry, keyed by ComfyUI's scheduler names, in ComfyUI's KSampler menu order, followed
 * by the schedulers ComfyUI offers as nodes ({@code ays}, {@code gits}).
 */
public final class Schedulers {
    private static final Registry<SchedulerInfo> REGISTRY = new Registry<>("scheduler", SchedulerInfo::name, List.of(
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
            GitsScheduler.INFO));

    private Schedulers() {
    }

    public static List<SchedulerInfo> all() {
        return REGISTRY.all();
    }

    public static List<String> names() {
        return REGISTRY.names();
    }

    /** The scheduler of that name; the error lists the allowed names. */
    public static SchedulerInfo get(String name) {
        return REGISTRY.get(name);
    }
}
