package dev.stepwise.cli;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.samplers.A1111SamplerNames;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.harness.Generation;
import dev.stepwise.harness.Limits;
import dev.stepwise.harness.ScheduleNames;
import dev.stepwise.harness.SettingException;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options that pick the sampling run, shared by {@code sample} and {@code generate} as a picocli mixin:
 * --sampler, --scheduler and --steps, their checks, and a request builder with them set. Each command gives
 * its own default sampler and scheduler through the constructor (the usage help shows them as the default).
 */
final class SamplingOptions {

    @Option(names = "--sampler", paramLabel = "NAME",
            description = "Sampler name (see 'stepwise list samplers'); generate also takes A1111's labels such as"
                    + " \"DPM++ 2M Karras\" or \"Euler a\". Default: ${DEFAULT-VALUE}.")
    String sampler;

    @Option(names = "--scheduler", paramLabel = "NAME|file:FILE",
            description = "Scheduler name (see 'stepwise list schedulers'), or file:SCHEDULE.json, a schedule file fitted"
                    + " to the model (its own step count walks its list exactly; others resample it). Default: ${DEFAULT-VALUE}.")
    String scheduler;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "20", description = "Sampling steps (1..10000; --limit "
            + "steps=N raises the limit). Default: ${DEFAULT-VALUE}, or a schedule file's own step count.")
    int steps;

    /** The command this is mixed into: whether --steps was given (without it, a schedule file runs at its own count). */
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    SamplingOptions(String defaultSampler, String defaultScheduler) {
        sampler = defaultSampler;
        scheduler = defaultScheduler;
    }

    /** Checks --steps; each command calls it before its other checks, so the first error reported is unchanged. */
    void check() {
        checkSteps(steps);
    }

    static void checkSteps(int steps) {
        checkSteps(steps, Limits.DEFAULT.with("steps", Integer.MAX_VALUE));
    }

    /** Checks --steps against the steps limit too (a billion steps is a sigma list that exhausts memory). */
    static void checkSteps(int steps, Limits limits) {
        try {
            Generation.checkSteps(steps, limits);
        } catch (SettingException e) {
            throw new UsageException(e.againstOption("--"));
        }
    }

    static void checkCfg(double cfg) {
        try {
            Generation.checkCfg(cfg);
        } catch (SettingException e) {
            throw new UsageException(e.againstOption("--"));
        }
    }

    /**
     * --sampler resolved: a catalogue name, or an A1111 label or alias ("DPM++ 2M Karras", "Euler a", k_euler_a)
     * whose scheduler part, if it names one, applies unless --scheduler is given. Call before {@link #scheduler}.
     */
    SamplerInfo resolveSampler() {
        A1111SamplerNames.Choice choice = A1111SamplerNames.resolve(sampler);
        if (choice.scheduler().isPresent() && !command.commandLine().getParseResult().hasMatchedOption("--scheduler")) {
            scheduler = choice.scheduler().get();
        }
        sampler = choice.sampler();
        return Samplers.get(sampler);
    }

    /**
     * --scheduler resolved: a registry name, or a schedule file read now (relative to the working directory), with
     * the -S parameters checked against it (a schedule file takes none).
     */
    ScheduleNames.Entry scheduler(Map<String, String> schedulerParameters) {
        ScheduleNames.Entry entry = ScheduleNames.resolve(scheduler, null);
        entry.options(schedulerParameters);
        if (entry.isFile() && !command.commandLine().getParseResult().hasMatchedOption("--steps")) {
            steps = entry.file().steps();   // the list as fitted, not resampled to the default 20
        }
        return entry;
    }

    /**
     * A request for {@code model} with the checked sampler, the scheduler, their -P/-S parameters and the steps set.
     *
     * @param schedulerEntry as {@link #scheduler}, or null when an explicit sigma list replaces it
     */
    SampleRequest.Builder request(Model model, SamplerInfo samplerInfo, Map<String, String> samplerParameters,
                                  ScheduleNames.Entry schedulerEntry, Map<String, String> schedulerParameters) {
        SampleRequest.Builder b = SampleRequest.builder(model)
                .sampler(samplerInfo.name()).samplerParameters(samplerParameters)
                .steps(steps);
        return schedulerEntry == null ? b : schedulerEntry.apply(b, schedulerParameters);
    }
}
