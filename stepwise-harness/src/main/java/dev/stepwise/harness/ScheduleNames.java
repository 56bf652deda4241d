package dev.stepwise.harness;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.schedule.Scheduler;
import dev.stepwise.core.schedule.SchedulerInfo;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.harness.fit.ScheduleFile;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Scheduler names as commands and plans take them: a registry name ({@link Schedulers}: "karras") or
 * {@code file:PATH}, a {@link ScheduleFile} fitted to a model, whose list a
 * {@link dev.stepwise.core.schedule.ListScheduler} walks (exactly at the file's step count, log-linearly resampled
 * at others). Commands, the plan reader, the plan check and the comparison resolve names here, so a schedule file
 * is taken, and checked, wherever a scheduler name is.
 */
public final class ScheduleNames {
    /** What starts a schedule file's name: {@code file:vrg-10.json}. */
    public static final String FILE_PREFIX = "file:";

    private ScheduleNames() {
    }

    public static boolean isFile(String name) {
        return name != null && name.startsWith(FILE_PREFIX);
    }

    /**
     * A resolved scheduler name, as a registry entry is one.
     *
     * @param name how reports, infotext and sidecars name it: the registry name, or "file:" + the file's name
     * @param info the registry entry, or null for a schedule file
     * @param file the schedule file, or null for a registry scheduler
     */
    public record Entry(String name, SchedulerInfo info, ScheduleFile file) {

        public boolean isFile() {
            return file != null;
        }

        /** The parameters it takes: the registry's; none for a schedule file. */
        public List<Parameter> parameters() {
            return file != null ? List.of() : info.parameters();
        }

        /**
         * The parameter values with the defaults filled in.
         *
         * @throws IllegalArgumentException for an unknown parameter or a value out of range; for a schedule file,
         *                                  any parameter at all
         */
        public Map<String, Object> options(Map<String, ?> given) {
            if (file == null) {
                return info.options(given).asMap();
            }
            if (!given.isEmpty()) {
                throw new IllegalArgumentException("scheduler " + name + " takes no parameters (a schedule file is a fixed"
                        + " list), but " + String.join(", ", given.keySet()) + (given.size() == 1 ? " is" : " are") + " given");
            }
            return Map.of();
        }

        /** The scheduler with these parameters (checked as {@link #options}). */
        public Scheduler create(Map<String, ?> given) {
            options(given);
            return file != null ? file.scheduler() : info.create(given);
        }

        /** Sets it as the scheduler of a request: the registry name with its parameters, or the file's list. */
        public SampleRequest.Builder apply(SampleRequest.Builder request, Map<String, ?> given) {
            return file == null ? request.scheduler(name).schedulerParameters(given) : request.scheduler(create(given));
        }

        /**
         * Refuses a schedule file fitted on a model of another sigma range ({@link ScheduleFile#checkFits}); a
         * registry scheduler fits every model.
         *
         * @param modelName names the model in the message
         */
        public void checkFits(String modelName, ModelSampling sampling) {
            if (file == null) {
                return;
            }
            try {
                file.checkFits(modelName, sampling);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("scheduler " + name + ": " + e.getMessage());
            }
        }
    }

    /**
     * Resolves a scheduler name; a schedule file is read here.
     *
     * @param base the folder a relative {@code file:} path is resolved against (a plan's folder), or null to take it
     *             as given (relative to the working directory, named as given in messages)
     * @throws IllegalArgumentException one line: an unknown name (with the allowed ones), or the file and its problem
     */
    public static Entry resolve(String name, Path base) {
        if (!isFile(name)) {
            return new Entry(name, Schedulers.get(name), null);
        }
        Path path = path(name, base);
        Path fileName = path.getFileName();
        return new Entry(FILE_PREFIX + (fileName == null ? path : fileName), null, ScheduleFile.read(path));
    }

    /** The path a {@code file:} name points to, resolved against {@code base} (when not null). */
    public static Path path(String name, Path base) {
        String text = name.substring(FILE_PREFIX.length());
        if (text.isBlank()) {
            throw new IllegalArgumentException("scheduler '" + name + "' names no file; write file:SCHEDULE.json");
        }
        Path p;
        try {
            p = Path.of(text);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("scheduler '" + name + "': '" + text + "' is not a file path: " + e.getReason());
        }
        // Absolute, as the plan reader stores its other paths (model folders, the checklist).
        return base == null ? p : base.resolve(p).toAbsolutePath().normalize();
    }

    /**
     * The entry of a plan's scheduler configuration: the registry's, or the schedule file the plan holds.
     *
     * @throws IllegalArgumentException for an unknown name, or a {@code file:} configuration made without its file
     */
    public static Entry of(Plan.SchedulerSpec spec) {
        if (spec.schedule() != null) {
            return new Entry(spec.name(), null, spec.schedule());
        }
        if (isFile(spec.name())) {
            throw new IllegalArgumentException("scheduler '" + spec.name() + "' was not read; make its configuration with"
                    + " ScheduleNames.spec, as the plan reader does");
        }
        return new Entry(spec.name(), Schedulers.get(spec.name()), null);
    }

    /**
     * A plan's scheduler configuration for a name: a registry name as it is (checked by {@link PlanCheck}), a
     * {@code file:} name with the file read now, named "file:" + its file name and holding its content (less the
     * details), so that the plan's cells follow the list rather than the path. Parameters are kept for the plan check
     * to refuse.
     *
     * @param label the report's name for it, or null for the default (the name, then the parameters)
     * @param base  the folder a relative path is resolved against (the plan file's)
     * @throws IllegalArgumentException for a file that is missing, unreadable or not a valid schedule file
     */
    public static Plan.SchedulerSpec spec(String name, Map<String, Object> parameters, String label, Path base) {
        if (!isFile(name)) {
            return new Plan.SchedulerSpec(name, parameters, label != null ? label : PlanReader.label(name, parameters));
        }
        Entry e = resolve(name, base);
        return new Plan.SchedulerSpec(e.name(), parameters, label != null ? label : PlanReader.label(e.name(), parameters),
                e.file().withoutDetails());
    }
}
