package dev.stepwise.core.measure;

import dev.stepwise.core.guidance.ClassifierFreeGuidance;
import dev.stepwise.core.guidance.Conditions;
import dev.stepwise.core.guidance.ModelCalls;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.noise.NoiseSampler;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.sampling.StepListener;
import dev.stepwise.core.schedule.KarrasScheduler;
import java.util.Arrays;
import java.util.Map;

/**
 * Runs a registered sampler straight through a {@link SamplingContext} from a given x at sigmas[0], without the
 * request layer's noise scaling, so that a measurement controls the starting point exactly.
 */
public final class Runs {
    private Runs() {
    }

    /** The final x and the run's model-call accounting. */
    public record Result(float[] x, ModelCalls calls) {
    }

    /**
     * Runs {@code info} with the given parameters on rows {@code start} (batch x sample size, not modified) over
     * {@code sigmas}, unconditionally at guidance scale {@code cfg}, with per-step noise from {@code noise}.
     */
    public static Result run(SamplerInfo info, Map<String, ?> parameters, Model model, float[] start, double[] sigmas,
                             NoiseSampler noise, double cfg, boolean batchCondUncond, StepListener listener) {
        int batch = start.length / model.sampleSize();
        SamplingContext ctx = new SamplingContext(model, new ClassifierFreeGuidance(cfg, batchCondUncond),
                Conditions.unconditional(batch), noise, listener, batch);
        float[] x = start.clone();
        info.create(parameters).sample(ctx, x, sigmas);
        return new Result(x, ctx.calls());
    }

    /** As above at cfg 1, step noise drawn in sequence from a torch-compatible generator seeded with noiseSeed. */
    public static Result run(SamplerInfo info, Map<String, ?> parameters, Model model, float[] start, double[] sigmas,
                             long noiseSeed) {
        return run(info, parameters, model, start, sigmas, NoiseSampler.sequential(new TorchGenerator(noiseSeed)), 1,
                true, null);
    }

    /** A Karras (rho = 7) list of {@code steps} steps from sigmaMax down to sigmaMin, without the final 0. */
    public static double[] karrasWithoutZero(double sigmaMin, double sigmaMax, int steps) {
        return Arrays.copyOf(KarrasScheduler.karras(sigmaMin, sigmaMax, steps + 1, 7), steps + 1);
    }

    /** A Karras (rho = 7) list of {@code steps} steps ending in 0 (the last step goes from sigmaMin to 0). */
    public static double[] karrasWithZero(double sigmaMin, double sigmaMax, int steps) {
        return KarrasScheduler.karras(sigmaMin, sigmaMax, steps, 7);
    }

    /** Fixed standard-normal rows scaled by sigma and shifted by mean: a starting point at noise level sigma. */
    public static float[] startAt(double[] mean, double sigma, int batch, long seed) {
        float[] n = new float[batch * mean.length];
        new TorchGenerator(seed).randn(n);
        for (int i = 0; i < n.length; i++) {
            n[i] = (float) (mean[i % mean.length] + sigma * n[i]);
        }
        return n;
    }
}
