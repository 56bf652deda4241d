package dev.stepwise.core.sampling;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * A run whose state (the sample x, or the model's prediction of x0) became NaN or infinite: the run is stopped
 * there rather than carried on to an all-NaN or all-black result. Thrown by {@link SamplingContext}, which checks
 * every model call, so every sampler gets the check once.
 */
public final class NonFiniteException extends ArithmeticException {
    private static final long serialVersionUID = 1L;

    private final int step;
    private final double sigma;

    /**
     * @param what  what went non-finite ("the sample", "the model's prediction")
     * @param step  the step in progress, 1-based
     * @param sigma the noise level of the model call that saw it
     */
    public NonFiniteException(String what, int step, double sigma) {
        super(what + " became non-finite (NaN or infinity) at step " + step + " (sigma " + format(sigma) + ")");
        this.step = step;
        this.sigma = sigma;
    }

    /** The step in progress when the state went non-finite, 1-based. */
    public int step() {
        return step;
    }

    /** The noise level of the model call at which the state was found non-finite. */
    public double sigma() {
        return sigma;
    }

    /** Four significant digits, without trailing zeros or an exponent for ordinary sigmas: "3.2", "80", "0.002". */
    static String format(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        BigDecimal r = new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros();
        double a = Math.abs(v);
        return a == 0 || (a >= 1e-4 && a < 1e7) ? r.toPlainString() : r.toString();
    }
}
