package dev.stepwise.core.model;

/**
 * Discrete variance-preserving models (DDPM, Stable Diffusion 1.x/2.x/XL) seen in VE form: the training
 * step t has alpha_bar_t and sigma_t = sqrt((1 - alpha_bar_t) / alpha_bar_t), the network sees
 * x / sqrt(sigma^2 + 1), and sigma and t are converted by interpolating in log sigma over the table of
 * training sigmas (k-diffusion's {@code DiscreteSchedule}).
 */
public final class DiscreteVpSampling implements ModelSampling {
    /** ComfyUI's stand-in for alpha_bar_T = 0 after the zero-terminal-SNR rescale, keeping sigma_max finite. */
    static final double ZERO_SNR_LAST_ALPHA_BAR = 4.8973451890853435e-08;

    private final Prediction prediction;
    private final BetaSchedule betaSchedule;
    private final double linearStart;
    private final double linearEnd;
    private final boolean zeroTerminalSnr;
    private final double[] sigmas;
    private final double[] logSigmas;

    public DiscreteVpSampling(Prediction prediction, BetaSchedule betaSchedule, double linearStart,
                              double linearEnd, int timesteps, boolean zeroTerminalSnr) {
        if (prediction == Prediction.FLOW) {
            throw new IllegalArgumentException("flow prediction needs FlowSampling, not a discrete VP schedule");
        }
        if (timesteps < 2) {
            throw new IllegalArgumentException("timesteps " + timesteps + " must be at least 2");
        }
        if (!(linearStart > 0 && linearEnd > linearStart && linearEnd < 1)) {
            throw new IllegalArgumentException("beta range " + linearStart + ".." + linearEnd
                    + " must satisfy 0 < start < end < 1");
        }
        this.prediction = prediction;
        this.betaSchedule = betaSchedule;
        this.linearStart = linearStart;
        this.linearEnd = linearEnd;
        this.zeroTerminalSnr = zeroTerminalSnr;
        double[] alphaBar = alphasCumprod(betaSchedule.betas(linearStart, linearEnd, timesteps));
        if (zeroTerminalSnr) {
            alphaBar = rescaleZeroTerminalSnr(alphaBar);
        }
        sigmas = new double[timesteps];
        logSigmas = new double[timesteps];
        for (int i = 0; i < timesteps; i++) {
            // Stored as float32 as ComfyUI and k-diffusion store their buffers; like them, the log is
            // taken of the float64 sigma before rounding (not of the rounded sigma).
            double sigma = Math.sqrt((1 - alphaBar[i]) / alphaBar[i]);
            sigmas[i] = (float) sigma;
            logSigmas[i] = (float) Math.log(sigma);
        }
    }

    /** Stable Diffusion 1.x / 2.x-base / XL: eps prediction, scaled_linear 0.00085..0.012, 1000 steps. */
    public static DiscreteVpSampling stableDiffusion(Prediction prediction) {
        return new DiscreteVpSampling(prediction, BetaSchedule.SCALED_LINEAR, 0.00085, 0.012, 1000, false);
    }

    static double[] alphasCumprod(double[] betas) {
        double[] a = new double[betas.length];
        double p = 1;
        for (int i = 0; i < betas.length; i++) {
            p *= 1 - betas[i];
            a[i] = p;
        }
        return a;
    }

    /** Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps Are Flawed", Algorithm 1. */
    static double[] rescaleZeroTerminalSnr(double[] alphaBar) {
        int n = alphaBar.length;
        double first = Math.sqrt(alphaBar[0]), last = Math.sqrt(alphaBar[n - 1]);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double s = (Math.sqrt(alphaBar[i]) - last) * first / (first - last);
            out[i] = s * s;
        }
        out[n - 1] = ZERO_SNR_LAST_ALPHA_BAR;
        return out;
    }

    @Override
    public double sigmaMin() {
        return sigmas[0];
    }

    @Override
    public double sigmaMax() {
        return sigmas[sigmas.length - 1];
    }

    /**
     * Fractional timestep by linear interpolation in log sigma (k-diffusion's sigma_to_t, as A1111 feeds
     * the network). ComfyUI's ModelSamplingDiscrete.timestep instead rounds to the nearest table index
     * (argmin |log sigma - log_sigmas|), so between table entries the network sees a slightly different t.
     */
    @Override
    public double timestep(double sigma) {
        double ls = Math.log(sigma);
        int n = logSigmas.length;
        // low = last index whose log sigma is <= ls, kept inside [0, n - 2].
        int low = 0;
        int lo = 0, hi = n - 1;
        if (ls >= logSigmas[0]) {
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (logSigmas[mid] <= ls) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            low = lo;
        }
        low = Math.min(low, n - 2);
        double w = (logSigmas[low] - ls) / (logSigmas[low] - logSigmas[low + 1]);
        w = Math.min(Math.max(w, 0), 1);
        return (1 - w) * low + w * (low + 1);
    }

    /** Noise level at a fractional timestep by interpolating log sigma (k-diffusion's t_to_sigma). */
    @Override
    public double sigma(double timestep) {
        double t = Math.min(Math.max(timestep, 0), sigmas.length - 1);
        int low = (int) Math.floor(t), high = (int) Math.ceil(t);
        double w = t - low;
        return Math.exp((1 - w) * logSigmas[low] + w * logSigmas[high]);
    }

    @Override
    public double inputScale(double sigma) {
        return 1.0 / Math.sqrt(sigma * sigma + 1.0);
    }

    @Override
    public Prediction prediction() {
        return prediction;
    }

    @Override
    public double[] sigmaTable() {
        return sigmas.clone();
    }

    public int timesteps() {
        return sigmas.length;
    }

    public BetaSchedule betaSchedule() {
        return betaSchedule;
    }

    public boolean zeroTerminalSnr() {
        return zeroTerminalSnr;
    }

    @Override
    public String describe() {
        return "discrete VP, " + prediction.id() + " prediction, " + betaSchedule.id() + " betas "
                + linearStart + ".." + linearEnd + ", " + sigmas.length + " steps"
                + (zeroTerminalSnr ? ", zero terminal SNR" : "");
    }
}
