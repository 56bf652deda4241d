package dev.stepwise.harness.fit;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.harness.CallTimer;
import dev.stepwise.harness.ImageSource;
import dev.stepwise.harness.MixtureSource;
import dev.stepwise.harness.ModelSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Measures a model's {@link ErrorCurve}. At each level sigma (an entry of the model's sigma table) clean samples
 * x0 are noised as the model was trained, x = x0 + sigma eps in VE form or x = (1 - s) x0 + s eps for flow (the
 * model's {@link ModelSampling#noiseScaling}), the denoiser gives x0_hat, and the noise it implies is
 * eps_hat = (x - x0_hat) / sigma, or (x - (1 - s) x0_hat) / s for flow. Each sample's per-value squared error
 * ||eps_hat - eps||^2 / d is averaged over the samples; the band is mean +- 1.96 sd / sqrt(n).
 *
 * <p>Levels are independent: the one at table index t draws its noise (and a mixture's samples) from
 * {@code torch.manual_seed(seed * 1000003 + t)}, as {@code torch.randn(N, *shape)} after the samples, so a
 * curve is the same whatever the number of workers and whichever levels are measured with it. Workers take
 * levels in turn, each with its own denoiser over the shared model (ONNX sessions run from several threads).
 */
public final class ErrorCurves {
    /** Images (or mixture draws) per level by default. */
    public static final int DEFAULT_SAMPLES = 256;
    /** Rows per denoiser call: large enough to batch the network well, small enough to bound memory. */
    static final int ROWS_PER_CALL = 64;
    /** The two-sided 95 % quantile of the normal distribution. */
    static final double Z95 = 1.959963984540054;
    /** Multiplies the run's seed to make each level's: distinct seeds for table indices below it. */
    static final long LEVEL_SEED_STRIDE = 1_000_003L;

    private ErrorCurves() {
    }

    /**
     * What to measure.
     *
     * @param levels        levels: evenly spaced indices of the sigma table, both ends included (0 = every entry)
     * @param samples       samples per level
     * @param seed          the run's seed
     * @param unconditional measure the unconditional branch instead of the class-conditional one
     * @param workers       levels measured at once (each a thread with its own denoiser)
     */
    public record Settings(int levels, int samples, long seed, boolean unconditional, int workers) {
        public Settings {
            if (levels < 0 || levels == 1) {
                throw new IllegalArgumentException("levels " + levels + " is not allowed; give 2 or more (0 = every table entry)");
            }
            if (samples < 1) {
                throw new IllegalArgumentException("samples " + samples + " is not allowed; give 1 or more per level");
            }
            if (workers < 1) {
                throw new IllegalArgumentException("workers " + workers + " is not allowed; give 1 or more");
            }
        }
    }

    /**
     * N evenly spaced indices of a table of {@code size} entries, the first and the last included (rounded to the
     * nearest index; distinct because N <= size).
     */
    public static int[] levelIndices(int levels, int size) {
        int n = levels == 0 ? size : levels;
        if (n < 2 || n > size) {
            throw new IllegalArgumentException("levels " + levels + " is not allowed; the sigma table has " + size
                    + " entries, so give 2.." + size);
        }
        int[] out = new int[n];
        for (int k = 0; k < n; k++) {
            out[k] = (int) Math.round(k * (size - 1.0) / (n - 1));
        }
        return out;
    }

    /**
     * The curve of an image model on held-out images: the first {@code samples} of them at every level, each with
     * its true class (one-hot) unless {@code unconditional}.
     *
     * @throws IllegalArgumentException for more samples than images, or a conditional run on images without labels
     */
    public static ErrorCurve images(ImageSource source, HeldOutImages data, Settings settings, FitProgress listener) {
        int n = settings.samples();
        if (n > data.count()) {
            throw new IllegalArgumentException(n + " images per level asked for, but " + data.description() + " has "
                    + data.count() + "; give at most " + data.count());
        }
        if (!settings.unconditional() && !data.hasLabels()) {
            throw new IllegalArgumentException(data.description() + " has no labels, so the class-conditional error"
                    + " cannot be measured; give labels or measure the unconditional branch");
        }
        int classes = source.config().classes().size();
        float[] x0 = data.values(n, source.config().pixelRange());
        Conditioning[] cond = new Conditioning[n];
        for (int i = 0; i < n; i++) {
            cond[i] = settings.unconditional() ? Conditioning.NONE : data.condition(i, classes);
        }
        Draw draw = (g, out, c) -> {
            System.arraycopy(x0, 0, out, 0, x0.length);
            System.arraycopy(cond, 0, c, 0, cond.length);
        };
        String what = data.description() + "; the first " + n + " of its " + data.count() + " images at every level, fresh"
                + " noise at each";
        String conditioning = settings.unconditional() ? "unconditional" : "class-conditional: each image's true label";
        return measure(source.name(), () -> source.model(new CallTimer()), draw, settings, what, conditioning, listener);
    }

    /**
     * The curve of a mixture's denoiser on samples drawn from the mixture, fresh at each level. With
     * {@code misspecify} K != 1 the denoiser is deliberately wrong: the exact one of the same mixture with every
     * component's standard deviation multiplied by K, whose error has a closed form for a single Gaussian (see
     * {@link #gaussianMse}). Conditional on each sample's component label when every component has one (unless
     * {@code unconditional}); a mixture without labels is measured unconditionally.
     *
     * @throws IllegalArgumentException for K that is not finite and > 0, or a mixture labelled only in part
     */
    public static ErrorCurve mixture(MixtureSource source, double misspecify, Settings settings, FitProgress listener) {
        GaussianMixture mixture = source.mixture();
        if (!(misspecify > 0) || !Double.isFinite(misspecify)) {
            throw new IllegalArgumentException("misspecification " + misspecify + " is not allowed; give a finite factor > 0"
                    + " (1 = the exact denoiser)");
        }
        List<GaussianMixture.Component> components = mixture.components();
        long labelled = components.stream().filter(c -> c.label() != null).count();
        boolean conditional = !settings.unconditional() && labelled > 0;
        if (conditional && labelled < components.size()) {
            throw new IllegalArgumentException(source.name() + " labels " + labelled + " of its " + components.size()
                    + " components; the class-conditional error needs every one labelled: measure the unconditional branch");
        }
        GaussianMixture denoiser = misspecify == 1 ? mixture : scaled(mixture, misspecify);
        MixtureSource model = new MixtureSource(misspecify == 1 ? source.name()
                : source.name() + " (misspecified: std x " + plain(misspecify) + ")", denoiser, source.key());
        Draw draw = draw(mixture, conditional);
        String what = "draws from " + source.name() + " (" + mixture.dim() + "-D, " + components.size() + " component"
                + (components.size() == 1 ? "" : "s") + "), fresh at each level; denoiser: "
                + (misspecify == 1 ? "the exact one" : "the exact one of the mixture with every std multiplied by "
                + plain(misspecify));
        String conditioning = conditional ? "class-conditional: each draw's component label" : "unconditional";
        return measure(model.name(), () -> model.model(new CallTimer()), draw, settings, what, conditioning, listener);
    }

    /** The mixture with every component's standard deviation multiplied by k. */
    static GaussianMixture scaled(GaussianMixture m, double k) {
        List<GaussianMixture.Component> out = new ArrayList<>();
        for (GaussianMixture.Component c : m.components()) {
            out.add(new GaussianMixture.Component(c.weight(), c.mean(), c.std() * k, c.label()));
        }
        return new GaussianMixture(m.dim(), out, m.sampling().sigmaMin(), m.sampling().sigmaMax());
    }

    /**
     * The exact per-value eps-prediction MSE in VE form for data N(m, s^2 I) and the exact denoiser of N(m, s'^2 I):
     * with x = x0 + sigma eps, D(x) = m + s'^2 / (s'^2 + sigma^2) (x - m) and eps_hat = (x - D) / sigma,
     * eps_hat - eps = sigma s z / (s'^2 + sigma^2) - s'^2 eps / (s'^2 + sigma^2) for x0 = m + s z, so
     * MSE = (sigma^2 s^2 + s'^4) / (s'^2 + sigma^2)^2, which is s^2 / (s^2 + sigma^2) for the exact denoiser (s' = s).
     */
    public static double gaussianMse(double sigma, double std, double assumedStd) {
        double v = assumedStd * assumedStd, q = v + sigma * sigma;
        return (sigma * sigma * std * std + v * v) / (q * q);
    }

    /** Fills one level's clean samples and their conditioning from the level's generator. */
    @FunctionalInterface
    private interface Draw {
        void fill(TorchGenerator g, float[] x0, Conditioning[] cond);
    }

    /** Draws from the mixture: a component by weight (as GaussianMixture.sample does), then its Gaussian. */
    private static Draw draw(GaussianMixture mixture, boolean conditional) {
        List<GaussianMixture.Component> components = mixture.components();
        int k = components.size(), dim = mixture.dim();
        double[] w = mixture.weightsFor(Conditioning.NONE);
        Conditioning[] labels = new Conditioning[k];
        for (int c = 0; c < k; c++) {
            Integer label = components.get(c).label();
            labels[c] = conditional ? Conditioning.label(label, mixture.labelCount()) : Conditioning.NONE;
        }
        return (g, x0, cond) -> {
            for (int i = 0; i < cond.length; i++) {
                double u = g.nextDouble(), acc = 0;
                int c = 0;
                while (c < k - 1 && (acc += w[c]) <= u) {
                    c++;
                }
                GaussianMixture.Component comp = components.get(c);
                double[] mean = comp.mean();
                for (int j = 0; j < dim; j++) {
                    x0[i * dim + j] = (float) (mean[j] + comp.std() * g.nextGaussian());
                }
                cond[i] = labels[c];
            }
        };
    }

    /** The measurement itself, shared by both kinds of model. */
    private static ErrorCurve measure(String name, Supplier<Model> models, Draw draw, Settings settings, String data,
                                      String conditioning, FitProgress listener) {
        Model first = models.get();
        ModelSampling sampling = first.sampling();
        double[] table = sampling.sigmaTable();
        int[] indices = levelIndices(settings.levels(), table.length);
        int levels = indices.length;
        double[] sigmas = new double[levels], mse = new double[levels], low = new double[levels], high = new double[levels];
        int workers = Math.min(settings.workers(), levels);
        AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        Object report = new Object();
        ExecutorService pool = Executors.newFixedThreadPool(workers, task -> {
            Thread t = new Thread(task, "stepwise-error-curve");
            t.setDaemon(true);   // Ctrl-C ends the run at once; nothing has been written
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                Model model = w == 0 ? first : models.get();
                futures.add(pool.submit(() -> {
                    Level level = new Level(model, settings.samples());
                    for (int l; (l = next.getAndIncrement()) < levels && !Thread.currentThread().isInterrupted(); ) {
                        int t = indices[l];
                        double[] r = level.measure(table[t], draw, new TorchGenerator(settings.seed() * LEVEL_SEED_STRIDE + t));
                        sigmas[l] = table[t];
                        mse[l] = r[0];
                        low[l] = r[1];
                        high[l] = r[2];
                        synchronized (report) {
                            listener.progress(done.incrementAndGet(), levels);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                await(f, futures);
            }
        } finally {
            pool.shutdownNow();
        }
        return new ErrorCurve(name, sampling.describe(), sampling.sigmaMin(), sampling.sigmaMax(), sigmas, mse, low,
                high, settings.samples(), conditioning, data, settings.seed());
    }

    /** Waits for one worker; a failure of any stops the others and is rethrown as it was. */
    private static void await(Future<?> f, List<Future<?>> all) {
        try {
            f.get();
        } catch (ExecutionException e) {
            all.forEach(o -> o.cancel(true));
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            all.forEach(o -> o.cancel(true));
            Thread.currentThread().interrupt();
            throw new java.util.concurrent.CancellationException("interrupted");
        }
    }

    /** One worker's buffers: every sample of a level, sent to the denoiser {@link #ROWS_PER_CALL} rows at a time. */
    private static final class Level {
        private final Model model;
        private final int n;
        private final int d;
        private final int[] rowShape;
        private final float[] x0;
        private final float[] eps;
        private final float[] x;
        private final Conditioning[] cond;
        private final double[] perSample;

        Level(Model model, int n) {
            this.model = model;
            this.n = n;
            this.d = model.sampleSize();
            this.rowShape = model.sampleShape();
            this.x0 = new float[n * d];
            this.eps = new float[n * d];
            this.x = new float[n * d];
            this.cond = new Conditioning[n];
            this.perSample = new double[n];
        }

        /** {mean, low, high} of the per-value squared error at sigma. */
        double[] measure(double sigma, Draw draw, TorchGenerator g) {
            draw.fill(g, x0, cond);
            g.randn(eps);
            ModelSampling sampling = model.sampling();
            sampling.noiseScaling(sigma, eps, x0, x);
            boolean flow = sampling.isFlow();
            // eps_hat = (x - c x0_hat) / sigma with c = 1 - s for flow, 1 in VE form.
            double c = flow ? 1 - sigma : 1;
            int rows = Math.min(ROWS_PER_CALL, n);
            Tensor in = Tensor.zeros(Tensor.batchShape(rows, rowShape)), out = Tensor.zeros(in.shape());
            for (int start = 0; start < n; start += rows) {
                int b = Math.min(rows, n - start);
                if (b != in.batch()) {
                    in = Tensor.zeros(Tensor.batchShape(b, rowShape));
                    out = Tensor.zeros(in.shape());
                }
                System.arraycopy(x, start * d, in.data(), 0, b * d);
                model.denoiser().denoise(in, sigma, Arrays.asList(cond).subList(start, start + b), out);
                float[] xh = out.data();
                for (int i = 0; i < b; i++) {
                    double sum = 0;
                    for (int j = 0; j < d; j++) {
                        int k = (start + i) * d + j;
                        double e = (x[k] - c * xh[i * d + j]) / sigma - eps[k];
                        sum += e * e;
                    }
                    if (!Double.isFinite(sum)) {
                        throw new ArithmeticException("the model's prediction became non-finite (NaN or infinity) at sigma "
                                + String.format(Locale.ROOT, "%.6g", sigma));
                    }
                    perSample[start + i] = sum / d;
                }
            }
            double mean = 0;
            for (double v : perSample) {
                mean += v;
            }
            mean /= n;
            double ss = 0;
            for (double v : perSample) {
                ss += (v - mean) * (v - mean);
            }
            // One sample has no spread to estimate: its band is the point itself.
            double half = n < 2 ? 0 : Z95 * Math.sqrt(ss / (n - 1) / n);
            return new double[] {mean, Math.max(0, mean - half), mean + half};
        }
    }

    /** A factor as messages and the data field write it: "2", "0.5". */
    static String plain(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
