package dev.stepwise.bench;

import dev.stepwise.core.guidance.ClassifierFreeGuidance;
import dev.stepwise.core.guidance.Conditions;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Denoiser;
import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.Prediction;
import dev.stepwise.core.noise.NoiseSampler;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.sampling.StepListener;
import dev.stepwise.core.schedule.KarrasScheduler;
import dev.stepwise.core.schedule.Sigmas;
import dev.stepwise.core.tensor.Tensor;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The samplers' own cost: one whole run on a Stable-Diffusion-sized latent (batch 1, shape [1, 4, 128, 128])
 * with a model that does no real work (it returns a fixed fraction of x), so what is measured is the
 * sampler's arithmetic, its per-step noise and the sampling context's bookkeeping. Runs of two lengths
 * let {@link BenchMain} separate the per-step cost from the per-run cost (the sampler's buffers).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SamplerStepBench {
    /** The latent of a 1024x1024 SDXL image (or 512x512 at SD1.5's 8x downscale, four times larger). */
    static final int[] LATENT = {4, 128, 128};

    /** Overridden by {@link BenchMain} with every registered sampler. */
    @Param({"euler", "euler_ancestral"})
    public String sampler;

    @Param({"10", "30"})
    public int steps;

    /** Guidance scale: 1 runs only the conditional pass; e.g. -p cfg=7 adds the unconditional one. */
    @Param({"1"})
    public double cfg;

    private Sampler instance;
    private SamplingContextFactory contexts;
    private double[] sigmas;
    private float[] start;
    private float[] x;

    @Setup
    public void setup() {
        SamplerInfo info = Samplers.get(sampler);
        instance = info.create();
        DiscreteVpSampling sd = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
        Model model = new Model("zero-cost", new ZeroCostDenoiser(), sd, LATENT);
        contexts = new SamplingContextFactory(model, cfg);
        sigmas = Sigmas.forRun(new KarrasScheduler(7), sd, steps, 1, info.discardPenultimate());
        start = new float[model.sampleSize()];
        new TorchGenerator(42).randn(start);
        for (int i = 0; i < start.length; i++) {
            start[i] *= (float) sigmas[0];
        }
        x = new float[start.length];
    }

    /** One run of {@code steps} steps (sigmas from Karras et al.'s schedule over SD's range). */
    @Benchmark
    public float[] run() {
        System.arraycopy(start, 0, x, 0, x.length);
        instance.sample(contexts.next(), x, sigmas);
        return x;
    }

    /** A fresh context per run, as {@code Stepwise.sample} makes one, with a noise generator kept across runs. */
    static final class SamplingContextFactory {
        private final Model model;
        private final ClassifierFreeGuidance guidance;
        private final Conditions conditions = Conditions.unconditional(1);
        private final NoiseSampler noise = NoiseSampler.sequential(new TorchGenerator(7));

        SamplingContextFactory(Model model, double cfg) {
            this.model = model;
            this.guidance = new ClassifierFreeGuidance(cfg);
        }

        SamplingContext next() {
            return new SamplingContext(model, guidance, conditions, noise, StepListener.NONE, 1);
        }
    }

    /** D(x, sigma) = x / 2: touches every value once, like the cheapest possible network. */
    static final class ZeroCostDenoiser implements Denoiser {
        @Override
        public void denoise(Tensor x, double sigma, List<Conditioning> cond, Tensor out) {
            float[] in = x.data(), o = out.data();
            for (int i = 0; i < in.length; i++) {
                o[i] = 0.5f * in[i];
            }
        }
    }
}
