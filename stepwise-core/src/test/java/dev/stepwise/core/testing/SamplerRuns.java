package dev.stepwise.core.testing;

import dev.stepwise.core.guidance.ModelCalls;
import dev.stepwise.core.measure.Runs;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.noise.NoiseSampler;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.StepListener;
import java.util.Map;

/** Runs a registered sampler straight through a sampling context, from a given x at sigmas[0] ({@link Runs}). */
public final class SamplerRuns {
    private SamplerRuns() {
    }

    /** The final x and the run's model-call accounting. */
    public record Run(float[] x, ModelCalls calls) {
    }

    /**
     * Runs {@code info} with the given parameters on rows {@code start} (batch x sample size, not modified) over
     * {@code sigmas}, unconditionally at cfg 1; per-step noise comes from a torch-compatible generator seeded
     * with {@code noiseSeed}.
     */
    public static Run run(SamplerInfo info, Map<String, ?> parameters, Model model, float[] start, double[] sigmas,
                          long noiseSeed) {
        return run(info, parameters, model, start, sigmas, noiseSeed, 1, true);
    }

    public static Run run(SamplerInfo info, Map<String, ?> parameters, Model model, float[] start, double[] sigmas,
                          long noiseSeed, double cfg, boolean batchCondUncond) {
        return run(info, parameters, model, start, sigmas, noiseSeed, cfg, batchCondUncond, null);
    }

    /** As above, telling {@code listener} after every step. */
    public static Run run(SamplerInfo info, Map<String, ?> parameters, Model model, float[] start, double[] sigmas,
                          long noiseSeed, double cfg, boolean batchCondUncond, StepListener listener) {
        Runs.Result r = Runs.run(info, parameters, model, start, sigmas,
                NoiseSampler.sequential(new TorchGenerator(noiseSeed)), cfg, batchCondUncond, listener);
        return new Run(r.x(), r.calls());
    }

    /** A Karras (rho = 7) list of {@code steps} steps from sigmaMax down to sigmaMin, without the final 0. */
    public static double[] karrasWithoutZero(double sigmaMin, double sigmaMax, int steps) {
        return Runs.karrasWithoutZero(sigmaMin, sigmaMax, steps);
    }

    /** A Karras (rho = 7) list of {@code steps} steps ending in 0 (the last step goes from sigmaMin to 0). */
    public static double[] karrasWithZero(double sigmaMin, double sigmaMax, int steps) {
        return Runs.karrasWithZero(sigmaMin, sigmaMax, steps);
    }

    /** Fixed standard-normal rows scaled by sigma and shifted by mean: a starting point at noise level sigma. */
    public static float[] startAt(double[] mean, double sigma, int batch, long seed) {
        return Runs.startAt(mean, sigma, batch, seed);
    }
}
