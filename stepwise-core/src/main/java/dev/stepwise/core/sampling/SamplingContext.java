package dev.stepwise.core.sampling;

import dev.stepwise.core.guidance.Conditions;
import dev.stepwise.core.guidance.Guidance;
import dev.stepwise.core.guidance.ModelCalls;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.noise.NoiseSampler;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.core.tensor.Vec;
import java.util.concurrent.CancellationException;
import java.util.function.UnaryOperator;

/**
 * Everything a sampler may use during one run (k-diffusion's {@code model}, {@code extra_args},
 * {@code noise_sampler} and {@code callback}): the guided, counted model call; per-step noise; the model's
 * parameterisation; scratch buffers; progress. One context serves one run on one thread.
 */
public final class SamplingContext {
    private final Model model;
    private final Guidance guidance;
    private final Conditions conditions;
    private final NoiseSampler noise;
    private final StepListener listener;
    private final int[] shape;
    private final ModelCalls.Counter calls = new ModelCalls.Counter();
    // Tensors wrapping the caller's arrays, reused so that a model call allocates nothing.
    private final float[][] wrappedArrays = new float[8][];
    private final Tensor[] wrappedTensors = new Tensor[8];
    private int nextWrap;
    private float[] noiseScratch;
    // The step in progress (1-based) and the sigma of the latest model call, for the non-finite check's message.
    private int step = 1;
    private double lastSigma = Double.NaN;
    // What denoise() runs: the counted, guided model call, unless a sampler decorator (UniC) wraps it.
    private ModelCall modelCall = this::evaluate;

    /**
     * One call of the (guided) model as samplers make it through {@link #denoise}; decorators wrap it to act on
     * every model call of a sampler they run, e.g. the UniC corrector (Zhao et al. 2023), which corrects x in place
     * with the model output at the start of the next step.
     */
    @FunctionalInterface
    public interface ModelCall {
        void denoise(float[] x, double sigma, float[] out, float[] uncondOut);
    }

    /** Undoes a {@link #decorateModelCall} when closed. */
    public interface Decoration extends AutoCloseable {
        @Override
        void close();
    }

    public SamplingContext(Model model, Guidance guidance, Conditions conditions, NoiseSampler noise,
                           StepListener listener, int batch) {
        if (conditions.batch() != batch) {
            throw new IllegalArgumentException("conditions for " + conditions.batch() + " rows, batch is " + batch);
        }
        this.model = model;
        this.guidance = guidance;
        this.conditions = conditions;
        this.noise = noise;
        this.listener = listener == null ? StepListener.NONE : listener;
        this.shape = Tensor.batchShape(batch, model.sampleShape());
    }

    /** The guided x0 estimate D(x, sigma) into out: one model evaluation (NFE). */
    public void denoise(float[] x, double sigma, float[] out) {
        denoise(x, sigma, out, null);
    }

    /**
     * The guided estimate into out and the unconditional one into uncondOut (for CFG++); still one
     * model evaluation.
     */
    public void denoise(float[] x, double sigma, float[] out, float[] uncondOut) {
        modelCall.denoise(x, sigma, out, uncondOut);
    }

    /**
     * Routes every later {@link #denoise} through {@code decorator.apply(current call)} until the returned
     * decoration is closed; the decorator delegates to the call it is given, so the NFE count stays exact.
     */
    public Decoration decorateModelCall(UnaryOperator<ModelCall> decorator) {
        ModelCall previous = modelCall;
        modelCall = decorator.apply(previous);
        return () -> modelCall = previous;
    }

    /**
     * The counted, guided call, with the run's one check for a non-finite state: x going in and the prediction
     * coming out. Both are O(n) scans next to a model evaluation, and every sampler passes through here, so no
     * sampler needs a check of its own; the step left after the last model call is checked by
     * {@link #requireFiniteResult}.
     */
    private void evaluate(float[] x, double sigma, float[] out, float[] uncondOut) {
        checkCancelled();
        lastSigma = sigma;
        if (!Vec.allFinite(x)) {
            throw new NonFiniteException("the sample", step, sigma);
        }
        calls.evaluation();
        guidance.predict(model.denoiser(), wrap(x), sigma, conditions, wrap(out),
                uncondOut == null ? null : wrap(uncondOut), calls);
        if (!Vec.allFinite(out) || (uncondOut != null && !Vec.allFinite(uncondOut))) {
            throw new NonFiniteException("the model's prediction (denoised)", step, sigma);
        }
    }

    /**
     * Throws {@link NonFiniteException} if the run's result holds NaN or infinity: the state the last step left,
     * after the last model call (named by that call's step and sigma).
     */
    public void requireFiniteResult(float[] x) {
        if (!Vec.allFinite(x)) {
            throw new NonFiniteException("the sample", Math.max(1, step - 1), lastSigma);
        }
    }

    /** Standard-normal noise for the step sigma -> sigmaNext. */
    public void noise(double sigma, double sigmaNext, float[] out) {
        noise.sample(sigma, sigmaNext, out);
    }

    /** The ancestral re-noising x = alphaRatio x + sNoise sigmaUp n for the step sigma -> sigmaNext. */
    public void renoise(float[] x, AncestralStep step, double sNoise, double sigma, double sigmaNext) {
        if (step.alphaRatio() != 1) {
            Vec.scale(x, step.alphaRatio());
        }
        if (step.sigmaUp() > 0) {
            if (noiseScratch == null) {
                noiseScratch = buffer();
            }
            noise(sigma, sigmaNext, noiseScratch);
            Vec.axpy(sNoise * step.sigmaUp(), noiseScratch, x);
        }
    }

    /** A fresh zero buffer the size of x, for a sampler's own state (allocate before the loop). */
    public float[] buffer() {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return new float[n];
    }

    public ModelSampling sampling() {
        return model.sampling();
    }

    public Model model() {
        return model;
    }

    public double guidanceScale() {
        return guidance.scale();
    }

    /**
     * The step onto sigma = 0 of k-diffusion's exponential integrators, whose update there reduces to
     * x = D(x, sigma_i): sets x to the estimate and reports the step.
     */
    public void landOnDenoised(int step, double[] sigmas, float[] x, float[] denoised) {
        Vec.copy(denoised, x);
        stepDone(step, sigmas, x, denoised);
    }

    /** Reports a finished step and stops the run if its thread was interrupted. */
    public void stepDone(int step, double[] sigmas, float[] x, float[] denoised) {
        this.step = step + 2;   // the 0-based step just done is followed by step + 1, or step + 2 counted from 1
        listener.onStep(step, sigmas.length - 1, sigmas[step], x, denoised);
        checkCancelled();
    }

    public ModelCalls calls() {
        return calls.snapshot();
    }

    private static void checkCancelled() {
        if (Thread.currentThread().isInterrupted()) {
            throw new CancellationException("sampling interrupted");
        }
    }

    private Tensor wrap(float[] a) {
        for (int i = 0; i < wrappedArrays.length; i++) {
            if (wrappedArrays[i] == a) {
                return wrappedTensors[i];
            }
        }
        Tensor t = Tensor.wrap(a, shape);
        wrappedArrays[nextWrap] = a;
        wrappedTensors[nextWrap] = t;
        nextWrap = (nextWrap + 1) % wrappedArrays.length;
        return t;
    }
}
