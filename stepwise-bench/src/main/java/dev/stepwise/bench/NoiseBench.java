package dev.stepwise.bench;

import dev.stepwise.core.noise.TorchGenerator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one step's fresh noise costs on the benchmark latent: torch's CPU randn (Mersenne Twister and torch's
 * AVX2 Box-Muller, bit for bit) of 4 x 128 x 128 values. Ancestral and SDE samplers pay this once per step.
 * tools/bench/noise_vs_torch.sh runs this next to torch's own time for the same draw.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class NoiseBench {
    private final TorchGenerator generator = new TorchGenerator(42);
    private final float[] out = new float[4 * 128 * 128];

    @Benchmark
    public float[] randnLatent() {
        generator.randn(out);
        return out;
    }
}
