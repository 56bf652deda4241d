package dev.stepwise.core;

import dev.stepwise.core.guidance.ClassifierFreeGuidance;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.noise.BrownianTreeNoise;
import dev.stepwise.core.noise.NoiseSampler;
import dev.stepwise.core.noise.RandnGenerator;
import dev.stepwise.core.noise.RandnSource;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.schedule.Scheduler;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.core.schedule.Sigmas;
import dev.stepwise.core.tensor.Tensor;
import java.time.Duration;
import java.util.Arrays;

/**
 * The library's entry point: one call runs a {@link SampleRequest}.
 *
 * <pre>{@code
 * var mixture = GaussianMixture.gaussian(new double[] {1, -1}, 0.5, 0.002, 80);
 * SampleResult r = Stepwise.sample(SampleRequest.builder(mixture.model("gauss"))
 *         .sampler("dpmpp_2m").scheduler("karras").steps(20).seed(42).batch(8).build());
 * }</pre>
 *
 * <p>Noise, as ComfyUI forms it on the CPU: {@code torch.manual_seed(seed)} then
 * {@code torch.randn(batch, *shape)} gives the starting noise (see {@link TorchGenerator}), scaled to the
 * first sigma by the model's parameterisation (by sqrt(1 + sigma^2) when the run starts at sigma_max, as
 * ComfyUI's KSampler does); ancestral samplers then draw each step's noise as successive
 * {@code torch.randn} calls of a second generator seeded with seed + 1 (ComfyUI's
 * {@code default_noise_sampler} on the CPU), and k-diffusion's SDE samplers (or any sampler on request)
 * from a Brownian tree seeded with the seed. With {@link SampleRequest.Builder#rng rng(NV)} the starting noise is
 * A1111's NV Philox generator's first call instead, and sequential step noise its following calls (A1111's
 * ImageRNG.next); the Brownian tree is the same for both.
 */
public final class Stepwise {
    /** The most values a run's state may have: the largest Java array (the JDK reserves a few header words). */
    public static final int MAX_VALUES = Integer.MAX_VALUE - 8;

    private Stepwise() {
    }

    /** The index of the first NaN or infinite value, or -1 when all are finite. */
    public static int firstNonFinite(float[] a) {
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i])) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Fills out with the starting noise of a run with this seed and generator source (before it is scaled to the
     * first sigma): the first {@code randn} call of the seed's generator, over the whole [batch, sample shape] array.
     * Returns the generator, positioned after that call.
     */
    public static RandnGenerator startingNoise(RandnSource rng, long seed, float[] out) {
        RandnGenerator generator = rng.generator(seed);
        generator.randn(out);
        return generator;
    }

    /**
     * Runs the request.
     *
     * @throws IllegalArgumentException with one line naming the bad setting and what is allowed
     * @throws dev.stepwise.core.sampling.NonFiniteException when the sample or the model's prediction becomes NaN
     *                                                       or infinite, naming the step and sigma
     */
    public static SampleResult sample(SampleRequest r) {
        Model model = r.model();
        ModelSampling ms = model.sampling();
        if (r.batch() < 1) {
            throw new IllegalArgumentException("batch " + r.batch() + " must be at least 1");
        }
        SamplerInfo info = Samplers.get(r.sampler());
        Sampler sampler = info.create(r.samplerParameters());
        double[] sigmas = sigmasFor(r, info);
        ClassifierFreeGuidance guidance = new ClassifierFreeGuidance(r.cfg(), r.batchCondUncond());

        long size = (long) r.batch() * model.sampleSize();
        if (size > MAX_VALUES) {
            // int arithmetic would wrap and fail later as a negative array size or an out-of-memory error
            throw new IllegalArgumentException("batch " + r.batch() + " x " + model.sampleSize() + " values per sample = "
                    + size + " values, more than one array holds (" + MAX_VALUES + "); use a smaller batch");
        }
        int[] shape = Tensor.batchShape(r.batch(), model.sampleShape());
        RandnSource rng = r.rngOrCpu();
        RandnGenerator generator;
        float[] noise = new float[(int) size];
        if (r.initialNoise() != null) {
            generator = rng.generator(r.seed());
            if (!Arrays.equals(r.initialNoise().shape(), shape)) {
                throw new IllegalArgumentException("initial noise has shape " + Arrays.toString(r.initialNoise().shape())
                        + " but the run needs " + Arrays.toString(shape));
            }
            int bad = firstNonFinite(r.initialNoise().data());
            if (bad >= 0) {
                throw new IllegalArgumentException("initial noise value " + r.initialNoise().data()[bad] + " at index " + bad
                        + " is not allowed; starting noise must be finite (standard-normal values)");
            }
            System.arraycopy(r.initialNoise().data(), 0, noise, 0, noise.length);
        } else {
            generator = startingNoise(rng, r.seed(), noise);
        }
        float[] x = new float[noise.length];
        // ComfyUI's KSampler: a run that starts at the model's sigma_max scales the noise by sqrt(1 + sigma^2).
        ms.noiseScaling(sigmas[0], noise, latentImage(r, shape), ms.isMaxDenoise(sigmas[0]), x);

        NoiseSampler stepNoise = stepNoise(r, info, sigmas, rng.stepGenerator(r.seed(), generator), noise.length);
        SamplingContext ctx = new SamplingContext(model, guidance, r.conditions(), stepNoise, r.listenerOrNone(), r.batch());
        long start = System.nanoTime();
        sampler.sample(ctx, x, sigmas);
        ms.inverseNoiseScaling(sigmas[sigmas.length - 1], x);
        ctx.requireFiniteResult(x);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        return new SampleResult(Tensor.wrap(x, shape), sigmas, ctx.calls(), elapsed);
    }

    /** The img2img latent's values, checked against the run's shape, or null for text-to-image. */
    private static float[] latentImage(SampleRequest r, int[] shape) {
        Tensor t = r.latentImage();
        if (t == null) {
            return null;
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("latent image has shape " + Arrays.toString(t.shape())
                    + " but the run needs " + Arrays.toString(shape));
        }
        int bad = firstNonFinite(t.data());
        if (bad >= 0) {
            throw new IllegalArgumentException("latent image value " + t.data()[bad] + " at index " + bad
                    + " is not allowed; a latent must be finite");
        }
        return t.data();
    }

    /**
     * The per-step noise: the step generator (seeded with seed + 1) in sequence, or (BROWNIAN, or DEFAULT for a sampler flagged
     * {@link SamplerInfo#brownianNoise()}) a Brownian tree over [smallest positive sigma, largest sigma] of
     * the run seeded with the request seed, as k-diffusion's SDE samplers build theirs.
     */
    static NoiseSampler stepNoise(SampleRequest r, SamplerInfo info, double[] sigmas, RandnGenerator generator, int size) {
        SampleRequest.NoiseKind kind = r.noise() == null ? SampleRequest.NoiseKind.DEFAULT : r.noise();
        boolean brownian = kind == SampleRequest.NoiseKind.BROWNIAN
                || (kind == SampleRequest.NoiseKind.DEFAULT && info.brownianNoise());
        if (!brownian) {
            return NoiseSampler.sequential(generator);
        }
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (double s : sigmas) {
            if (s > 0) {
                lo = Math.min(lo, s);
                hi = Math.max(hi, s);
            }
        }
        if (!(hi > lo)) {
            // Fewer than two positive sigmas: no interval to build a path over, and no step needs noise.
            return NoiseSampler.sequential(generator);
        }
        return new BrownianTreeNoise(r.seed(), lo, hi, size);
    }

    /** The sigma list the request walks: the explicit list, or the scheduler's with denoise and the sampler's convention. */
    public static double[] sigmasFor(SampleRequest r, SamplerInfo info) {
        if (r.sigmas() != null) {
            double[] s = r.sigmas();
            Sigmas.check(s);
            return s;
        }
        Scheduler scheduler = r.schedulerObject();
        if (scheduler == null) {
            scheduler = Schedulers.get(r.scheduler()).create(r.schedulerParameters());
        } else if (!r.schedulerParameters().isEmpty()) {
            throw new IllegalArgumentException("scheduler parameters " + r.schedulerParameters().keySet()
                    + " are for a named scheduler; a scheduler given as an object takes none");
        }
        return Sigmas.forRun(scheduler, r.model().sampling(), r.steps(), r.denoise(), info.discardPenultimate());
    }
}
