package dev.stepwise.cli;

import dev.stepwise.harness.Limits;
import dev.stepwise.onnx.OnnxOptions;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What a single-run benchmark ({@code bench generate}, {@code bench pipeline}) is run with, as a picocli mixin:
 * --steps (each bench gives its default through the constructor), --device/--threads and --limit, checked in one
 * place before anything is loaded.
 */
final class BenchRunOptions {

    @Option(names = "--steps", paramLabel = "N", description = "Sampling steps. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Mixin
    DeviceOptions onnx = new DeviceOptions();

    @Option(names = "--limit", paramLabel = LimitFlag.LABEL, description = LimitFlag.BENCH_GENERATE)
    Map<String, String> limit = new LinkedHashMap<>();

    BenchRunOptions(int defaultSteps) {
        steps = defaultSteps;
    }

    /** --limit and --steps checked, then the session options for one calling thread. */
    OnnxOptions check() {
        Limits limits = LimitFlag.parse(limit, "steps", "threads");
        SamplingOptions.checkSteps(steps, limits);
        return onnx.options(1, limits);
    }
}
