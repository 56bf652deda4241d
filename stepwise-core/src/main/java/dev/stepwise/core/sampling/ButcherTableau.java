package dev.stepwise.core.sampling;

import dev.stepwise.core.tensor.Vec;

/**
 * An explicit Runge-Kutta method, given by its Butcher tableau (Hairer, Norsett and Wanner, Solving ODE I,
 * sec. II.1), applied to the probability-flow ODE dx/dsigma = f(x, sigma) = (x - D(x, sigma)) / sigma (Karras et
 * al. 2022, eq. 3). One step of size h = sigma_{i+1} - sigma_i:
 * <pre>
 *   k_j = f(x + h sum_{l<j} a_jl k_l, sigma_i + c_j h),   x_{i+1} = x + h sum_j b_j k_j
 * </pre>
 * and, with an embedded solution b^ (of order {@code embeddedOrder}), the local error estimate
 * h sum_j (b_j - b^_j) k_j. A FSAL tableau ("first same as last": a_s = b, c_s = 1, b_s = 0) evaluates its last
 * stage at x_{i+1}, so that stage is the next step's first.
 *
 * <p>The step onto sigma = 0 returns D(x, sigma_i): f is undefined at sigma = 0, and the Euler step there,
 * x + (0 - sigma) (x - D) / sigma, is exactly D. So every fixed step costs {@link #stagesPerStep()} calls and the
 * last one onto 0 one call. In fixed steps a FSAL tableau's last stage (weight b_s = 0) is not evaluated: it would
 * be the next step's first stage, which the next step evaluates anyway, so fixed-step NFE is s - 1 per step.
 *
 * @param name          the method's name, for messages
 * @param order         order of the propagated solution b
 * @param embeddedOrder order of the embedded solution b^ (0 without one)
 */
public record ButcherTableau(String name, int order, int embeddedOrder, double[] c, double[][] a, double[] b,
                             double[] bEmbedded, boolean fsal) {

    public ButcherTableau {
        int s = b.length;
        if (c.length != s || a.length != s || (bEmbedded != null && bEmbedded.length != s) || c[0] != 0) {
            throw new IllegalArgumentException(name + ": inconsistent tableau sizes");
        }
        for (int j = 0; j < s; j++) {
            if (a[j].length != j) {
                throw new IllegalArgumentException(name + ": row " + j + " of a must have " + j + " entries");
            }
            double sum = 0;
            for (double v : a[j]) {
                sum += v;
            }
            // Row sums equal the nodes: the stages are consistent approximations at sigma_i + c_j h.
            if (Math.abs(sum - c[j]) > 1e-12) {
                throw new IllegalArgumentException(name + ": row " + j + " of a sums to " + sum + ", c is " + c[j]);
            }
        }
        if (fsal && (b[s - 1] != 0 || c[s - 1] != 1 || !java.util.Arrays.equals(a[s - 1], java.util.Arrays.copyOf(b, s - 1)))) {
            throw new IllegalArgumentException(name + ": not first-same-as-last");
        }
    }

    public int stages() {
        return b.length;
    }

    /** Model calls of a fixed step: every stage up to the last with a nonzero weight (a FSAL tableau's last has none). */
    public int stagesPerStep() {
        int s = b.length;
        while (s > 1 && b[s - 1] == 0) {
            s--;
        }
        return s;
    }

    /** Fixed steps over the sigma list (x in place). */
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        Stages st = new Stages(ctx, stagesPerStep());
        for (int i = 0; i < sigmas.length - 1; i++) {
            double sigma = sigmas[i], sigmaNext = sigmas[i + 1];
            ctx.denoise(x, sigma, st.denoised);
            if (sigmaNext == 0) {
                Vec.copy(st.denoised, x);                           // Euler onto 0 = D(x, sigma)
            } else {
                Vec.derivative(st.k[0], x, st.denoised, sigma);
                st.evaluate(x, sigma, sigmaNext - sigma, 1, stagesPerStep());
                st.combine(x, sigmaNext - sigma, b, stagesPerStep(), x);
            }
            ctx.stepDone(i, sigmas, x, st.denoised);
        }
    }

    /**
     * Adaptive steps with the embedded error estimate, from sigmas[0] down to the last positive sigma of the list
     * (then onto 0 with D if the list ends there). A step h is accepted when the scaled rms error
     * err = rms(e_i / (atol + rtol max(|x_i|, |x_new,i|))) is at most 1, and the next step is
     * h min(5, max(0.2, 0.9 err^(-1/(q+1)))) with q the lower of the two orders (Hairer, Norsett and Wanner, I, sec.
     * II.4, eqs. 4.10-4.13), never larger after a rejection. The first trial step is the list's first step.
     *
     * @return the accepted steps
     */
    public int sampleAdaptive(SamplingContext ctx, float[] x, double[] sigmas, double rtol, double atol) {
        if (bEmbedded == null) {
            throw new IllegalStateException(name + " has no embedded solution for error control");
        }
        if (sigmas.length < 2) {
            return 0;
        }
        int s = stages();
        boolean toZero = sigmas[sigmas.length - 1] == 0;
        double end = toZero ? sigmas[sigmas.length - 2] : sigmas[sigmas.length - 1];
        double sigma = sigmas[0];
        double h = (sigmas[1] == 0 ? end : sigmas[1]) - sigma;
        double exponent = -1.0 / (Math.min(order, embeddedOrder) + 1);
        double[] errorWeights = new double[s];
        for (int j = 0; j < s; j++) {
            errorWeights[j] = b[j] - bEmbedded[j];
        }
        Stages st = new Stages(ctx, s);
        float[] xNew = ctx.buffer(), error = ctx.buffer();
        AcceptedSteps accepted = new AcceptedSteps(sigma);
        boolean haveFirst = false;
        while (sigma > end) {
            double hTry = Math.max(h, end - sigma);               // steps are negative; never past the end
            if (Math.abs(hTry) < 1e-12 * sigma) {
                throw new IllegalStateException(name + ": step size underflow at sigma " + sigma);
            }
            if (!haveFirst) {
                ctx.denoise(x, sigma, st.denoised);
                Vec.derivative(st.k[0], x, st.denoised, sigma);
                haveFirst = true;
            }
            st.evaluate(x, sigma, hTry, 1, s);
            if (fsal) {
                Vec.copy(st.lastPoint, xNew);                      // the last stage point is x_{i+1}
            } else {
                st.combine(x, hTry, b, s, xNew);
            }
            st.combine(null, hTry, errorWeights, s, error);
            double sum = 0;
            for (int n = 0; n < x.length; n++) {
                double scale = atol + rtol * Math.max(Math.abs(x[n]), Math.abs(xNew[n]));
                double e = error[n] / scale;
                sum += e * e;
            }
            double err = Math.sqrt(sum / x.length);
            if (!Double.isFinite(err)) {
                throw new IllegalStateException(name + ": non-finite step error at sigma " + sigma);
            }
            double factor = err == 0 ? 5 : Math.min(5, Math.max(0.2, 0.9 * Math.pow(err, exponent)));
            if (err <= 1) {
                Vec.copy(xNew, x);
                double next = hTry == end - sigma ? end : sigma + hTry;
                if (fsal) {
                    st.shiftLastToFirst();
                } else {
                    haveFirst = false;
                }
                accepted.accept(ctx, next, x, st.denoised);
                sigma = next;
                if (fsal) {
                    Vec.copy(st.lastDenoised, st.denoised);
                }
            } else {
                factor = Math.min(1, factor);
            }
            h = hTry * factor;
        }
        if (toZero) {
            if (!haveFirst) {
                ctx.denoise(x, sigma, st.denoised);
            }
            Vec.copy(st.denoised, x);
            accepted.accept(ctx, 0, x, st.denoised);
        }
        return accepted.count();
    }

    /** Stage buffers of one run. */
    private final class Stages {
        final float[][] k;
        final float[] denoised, point, lastPoint, lastDenoised;
        private final float[][][] terms;
        private final double[][] weights;
        private final SamplingContext ctx;

        Stages(SamplingContext ctx, int count) {
            this.ctx = ctx;
            k = new float[count][];
            for (int j = 0; j < count; j++) {
                k[j] = ctx.buffer();
            }
            denoised = ctx.buffer();
            point = ctx.buffer();
            lastPoint = fsal ? ctx.buffer() : null;
            lastDenoised = fsal ? ctx.buffer() : null;
            terms = new float[count + 1][][];
            weights = new double[count + 1][];
            for (int j = 1; j <= count; j++) {
                terms[j] = new float[j + 1][];
                weights[j] = new double[j + 1];
            }
        }

        /** k_j for j in [from, to) from x at sigma with step h. */
        void evaluate(float[] x, double sigma, double h, int from, int to) {
            for (int j = from; j < to; j++) {
                boolean last = fsal && j == stages() - 1;
                float[] at = last ? lastPoint : point;
                combine(x, h, a[j], j, at);
                double sj = sigma + c[j] * h;
                float[] d = last ? lastDenoised : k[j];
                ctx.denoise(at, sj, d);
                Vec.derivative(k[j], at, d, sj);
            }
        }

        /** out = x + h sum_{l < count} w_l k_l (x null: without the x term). */
        void combine(float[] x, double h, double[] w, int count, float[] out) {
            double[] coefficients = weights[count];
            float[][] arrays = terms[count];
            coefficients[0] = x == null ? 0 : 1;
            arrays[0] = x == null ? k[0] : x;
            for (int l = 0; l < count; l++) {
                coefficients[l + 1] = h * w[l];
                arrays[l + 1] = k[l];
            }
            Vec.lin(out, coefficients, arrays);
        }

        void shiftLastToFirst() {
            Vec.copy(k[stages() - 1], k[0]);
        }
    }
}
