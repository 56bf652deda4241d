package dev.stepwise.core.guidance;

import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Denoiser;
import dev.stepwise.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Classifier-free guidance (Ho and Salimans 2022, eq. 6 in x0 form): D = D_u + w (D_c - D_u), with the
 * negative prompt as the unconditional branch. At w = 1 this is D_c, so the unconditional pass is skipped
 * and a run costs half the network rows, unless the caller asks for D_u itself. When {@code batched},
 * cond and uncond rows go through the network as one call of twice the batch (split further if the
 * model caps its batch).
 */
public final class ClassifierFreeGuidance implements Guidance {
    /**
     * The largest guidance scale: ComfyUI's KSampler allows cfg 0..100. Past it a run is not guidance but an
     * overflow (cfg 1e300 makes every image black); CFG++ samplers read the same scale, used at about 0-2.
     */
    public static final double MAX_SCALE = 100;
    /** The allowed scales as messages and help texts give them. */
    public static final String RANGE = "[0, 100] (1 = no guidance)";

    private final double scale;
    private final boolean batched;
    private Tensor both;
    private Tensor bothOut;
    private Tensor condOut;
    // The cond rows then the uncond rows, built once per Conditions so that a guided call allocates nothing.
    private Conditions bothFor;
    private List<Conditioning> bothConditions;

    public ClassifierFreeGuidance(double scale, boolean batched) {
        if (!(scale >= 0 && scale <= MAX_SCALE)) {
            throw new IllegalArgumentException("cfg " + scale + " is out of range; allowed: " + RANGE);
        }
        this.scale = scale;
        this.batched = batched;
    }

    public ClassifierFreeGuidance(double scale) {
        this(scale, true);
    }

    @Override
    public double scale() {
        return scale;
    }

    public boolean batched() {
        return batched;
    }

    @Override
    public void predict(Denoiser model, Tensor x, double sigma, Conditions conditions, Tensor out, Tensor uncondOut,
                        ModelCalls.Counter calls) {
        int b = x.batch();
        if (scale == 1.0 && uncondOut == null) {
            calls.passes(1, 0, runChunked(model, x, sigma, conditions.positive(), out));
            return;
        }
        // A caller asking for the unconditional estimate (CFG++ steps along it) gets the real D_u even at
        // cfg = 1, as ComfyUI's CFG++ samplers disable the cfg = 1 shortcut.
        Tensor u = uncondOut != null ? uncondOut : scratchLike(x);
        if (batched && 2L * b <= Integer.MAX_VALUE) {
            if (!holdsBoth(x)) {
                int[] shape = x.shape();
                shape[0] = 2 * b;
                both = Tensor.zeros(shape);
                bothOut = Tensor.zeros(shape);
            }
            System.arraycopy(x.data(), 0, both.data(), 0, x.size());
            System.arraycopy(x.data(), 0, both.data(), x.size(), x.size());
            int networkCalls = runChunked(model, both, sigma, bothConditions(conditions), bothOut);
            System.arraycopy(bothOut.data(), 0, out.data(), 0, x.size());
            System.arraycopy(bothOut.data(), x.size(), u.data(), 0, x.size());
            calls.passes(1, 1, networkCalls);
        } else {
            int n1 = runChunked(model, x, sigma, conditions.positive(), out);
            int n2 = runChunked(model, x, sigma, conditions.negative(), u);
            calls.passes(1, 1, n1 + n2);
        }
        if (scale == 1.0) {
            return;
        }
        float[] o = out.data(), ud = u.data();
        float w = (float) scale;
        for (int i = 0; i < o.length; i++) {
            o[i] = ud[i] + w * (o[i] - ud[i]);
        }
    }

    /** Whether the cond + uncond buffers fit x: twice its batch, the same row shape (checked without copying shapes). */
    private boolean holdsBoth(Tensor x) {
        if (both == null || both.rank() != x.rank() || both.dim(0) != 2 * x.batch()) {
            return false;
        }
        for (int i = 1; i < x.rank(); i++) {
            if (both.dim(i) != x.dim(i)) {
                return false;
            }
        }
        return true;
    }

    private List<Conditioning> bothConditions(Conditions conditions) {
        if (bothFor != conditions) {
            List<Conditioning> cond = new ArrayList<>(2 * conditions.batch());
            cond.addAll(conditions.positive());
            cond.addAll(conditions.negative());
            bothConditions = List.copyOf(cond);
            bothFor = conditions;
        }
        return bothConditions;
    }

    private Tensor scratchLike(Tensor x) {
        if (condOut == null || !condOut.sameShape(x)) {
            condOut = Tensor.zeros(x.shape());
        }
        return condOut;
    }

    /** Runs the model on x in chunks of at most its max batch; returns the number of calls made. */
    private static int runChunked(Denoiser model, Tensor x, double sigma, List<Conditioning> cond, Tensor out) {
        int b = x.batch(), max = Math.max(1, model.maxBatch());
        if (b <= max) {
            model.denoise(x, sigma, cond, out);
            return 1;
        }
        int row = x.rowSize(), calls = 0;
        int[] shape = x.shape();
        for (int start = 0; start < b; start += max) {
            int n = Math.min(max, b - start);
            shape[0] = n;
            Tensor xi = Tensor.zeros(shape), oi = Tensor.zeros(shape);
            System.arraycopy(x.data(), start * row, xi.data(), 0, n * row);
            model.denoise(xi, sigma, cond.subList(start, start + n), oi);
            System.arraycopy(oi.data(), 0, out.data(), start * row, n * row);
            calls++;
        }
        return calls;
    }
}
