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
 * from a Brownian tree seeded with the seed. With {@link SampleRequest.Builder#rng rng(NV)} the generators are
 * A1111's NV Philox ones instead. With {@link SampleRequest.Builder#compat compat(A1111)} the noise is laid out as
 * A1111 does ({@link CompatProfile.NoiseLayout#PER_IMAGE}: image i's generator seeded seed + i gives its starting
 * noise and then its step noise, and its own Brownian tree), scaled by sigma_0, and img2img walks A1111's sigmas.
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
        CompatProfile compat = r.compatOrDefault();
        boolean perImage = compat.noise() == CompatProfile.NoiseLayout.PER_IMAGE;
        RandnGenerator[] generators = generators(compat, r.seed(), r.batch());
        float[] noise = new float[(int) size];
        if (r.initialNoise() != null) {
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
            if (perImage) {
                perImage(generators, new float[noise.length]);   // step noise is each generator's second call on
            }
        } else {
            perImage(generators, noise);
        }
        float[] x = new float[noise.length];
        // ComfyUI's KSampler: a run that starts at the model's sigma_max scales the noise by sqrt(1 + sigma^2);
        // A1111 by sigma_0 (CompatProfile.FirstNoise).
        boolean maxDenoise = compat.firstNoise() == CompatProfile.FirstNoise.MAX_DENOISE && ms.isMaxDenoise(sigmas[0]);
        ms.noiseScaling(sigmas[0], noise, latentImage(r, shape), maxDenoise, x);

        RandnGenerator[] step = perImage ? generators
                : new RandnGenerator[] {compat.rng().generator(r.seed() + 1)};   // default_noise_sampler's seed + 1
        NoiseSampler stepNoise = stepNoise(r, info, sigmas, step, noise.length);
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
     * The generators of a run: one seeded with the seed for the whole batch (ComfyUI), or one per image seeded
     * seed + i (A1111's ImageRNG over p.all_seeds).
     */
    static RandnGenerator[] generators(CompatProfile compat, long seed, int batch) {
        if (compat.noise() != CompatProfile.NoiseLayout.PER_IMAGE) {
            return new RandnGenerator[] {compat.rng().generator(seed)};
        }
        RandnGenerator[] g = new RandnGenerator[batch];
        for (int i = 0; i < batch; i++) {
            g[i] = compat.rng().generator(seed + i);
        }
        return g;
    }

    /** One call of every generator, generator i filling row i of {@code out} (a single generator fills it all). */
    private static void perImage(RandnGenerator[] generators, float[] out) {
        if (generators.length == 1) {
            generators[0].randn(out);
            return;
        }
        int row = out.length / generators.length;
        float[] one = new float[row];
        for (int i = 0; i < generators.length; i++) {
            generators[i].randn(one);
            System.arraycopy(one, 0, out, i * row, row);
        }
    }

    /** Step noise from one sampler per image, each filling its row. */
    private static NoiseSampler perImage(NoiseSampler[] samplers, int size) {
        int row = size / samplers.length;
        float[] one = new float[row];
        return (sigma, sigmaNext, out) -> {
            for (int i = 0; i < samplers.length; i++) {
                samplers[i].sample(sigma, sigmaNext, one);
                System.arraycopy(one, 0, out, i * row, row);
            }
        };
    }

    /**
     * The per-step noise: the step generators in sequence (ComfyUI: one seeded seed + 1 for the batch; A1111: each
     * image's own, continued), or (BROWNIAN, or DEFAULT for a sampler flagged {@link SamplerInfo#brownianNoise()}) a
     * Brownian tree over [smallest positive sigma, largest sigma] of the run seeded with the request seed (A1111: one
     * per image, seeded seed + i), as k-diffusion's SDE samplers build theirs. A1111's img2img builds its trees
     * over the whole schedule's range, not the part that runs ({@link #brownianSpan}).
     */
    static NoiseSampler stepNoise(SampleRequest r, SamplerInfo info, double[] sigmas, RandnGenerator[] generators,
                                  int size) {
        SampleRequest.NoiseKind kind = r.noise() == null ? SampleRequest.NoiseKind.DEFAULT : r.noise();
        boolean brownian = kind == SampleRequest.NoiseKind.BROWNIAN
                || (kind == SampleRequest.NoiseKind.DEFAULT && info.brownianNoise());
        NoiseSampler sequential = perImage(Arrays.stream(generators).map(NoiseSampler::sequential)
                .toArray(NoiseSampler[]::new), size);
        if (!brownian) {
            return sequential;
        }
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (double s : brownianSpan(r, info, sigmas)) {
            if (s > 0) {
                lo = Math.min(lo, s);
                hi = Math.max(hi, s);
            }
        }
        if (!(hi > lo)) {
            // Fewer than two positive sigmas: no interval to build a path over, and no step needs noise.
            return sequential;
        }
        if (generators.length == 1) {
            return new BrownianTreeNoise(r.seed(), lo, hi, size);
        }
        NoiseSampler[] trees = new NoiseSampler[generators.length];
        for (int i = 0; i < trees.length; i++) {
            trees[i] = new BrownianTreeNoise(r.seed() + i, lo, hi, size / trees.length);
        }
        return perImage(trees, size);
    }

    /**
     * The sigmas whose range the Brownian tree spans: the run's own, except under A1111's denoise rule at a strength
     * below 1, where A1111 hands create_noise_sampler the full schedule of {@code steps} steps while the sampler
     * walks only its tail (sd_samplers_kdiffusion.py KDiffusionSampler.sample_img2img: {@code sigmas}, not
     * {@code sigma_sched}). ComfyUI builds the tree inside the sampler from the list it walks.
     */
    static double[] brownianSpan(SampleRequest r, SamplerInfo info, double[] sigmas) {
        if (r.sigmas() != null || r.compatOrDefault().denoise() != CompatProfile.DenoiseRule.A1111 || r.denoise() > 0.9999) {
            return sigmas;
        }
        return Sigmas.forRunA1111(scheduler(r), r.model().sampling(), r.steps(), 1, info.discardPenultimate());
    }

    /** The sigma list the request walks: the explicit list, or the scheduler's with denoise and the sampler's convention. */
    public static double[] sigmasFor(SampleRequest r, SamplerInfo info) {
        if (r.sigmas() != null) {
            double[] s = r.sigmas();
            Sigmas.check(s);
            return s;
        }
        Scheduler scheduler = scheduler(r);
        return r.compatOrDefault().denoise().sigmas(scheduler, r.model().sampling(), r.steps(), r.denoise(),
                info.discardPenultimate());
    }

    /** The request's scheduler: its object, or its named scheduler with its parameters. */
    private static Scheduler scheduler(SampleRequest r) {
        Scheduler scheduler = r.schedulerObject();
        if (scheduler == null) {
            return Schedulers.get(r.scheduler()).create(r.schedulerParameters());
        }
        if (!r.schedulerParameters().isEmpty()) {
            throw new IllegalArgumentException("scheduler parameters " + r.schedulerParameters().keySet()
                    + " are for a named scheduler; a scheduler given as an object takes none");
        }
        return scheduler;
    }
}
