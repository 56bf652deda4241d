package dev.stepwise.core.model;

/**
 * Continuous variance-exploding noise levels in [sigmaMin, sigmaMax] (Karras et al. 2022, EDM), used by
 * the exact analytic models: the denoiser takes x = x0 + sigma n directly, the timestep is
 * c_noise = ln(sigma) / 4 (EDM table 1), and the discrete table that table-based schedulers index is
 * 1000 log-uniform levels, as ComfyUI's {@code ModelSamplingContinuousEDM} builds it.
 */
public final class ContinuousVeSampling implements ModelSampling {
    private final double sigmaMin;
    private final double sigmaMax;
    private final double sigmaData;
    private final Prediction prediction;
    private final double[] table;

    public ContinuousVeSampling(double sigmaMin, double sigmaMax, double sigmaData, Prediction prediction) {
        if (!(sigmaMin > 0 && sigmaMax > sigmaMin) || Double.isInfinite(sigmaMax)) {
            throw new IllegalArgumentException("sigma range " + sigmaMin + ".." + sigmaMax
                    + " must satisfy 0 < sigma_min < sigma_max < infinity");
        }
        if (prediction == Prediction.FLOW) {
            throw new IllegalArgumentException("flow prediction needs FlowSampling");
        }
        this.sigmaMin = sigmaMin;
        this.sigmaMax = sigmaMax;
        this.sigmaData = sigmaData;
        this.prediction = prediction;
        this.table = new double[1000];
        double a = Math.log(sigmaMin), b = Math.log(sigmaMax);
        for (int i = 0; i < table.length; i++) {
            table[i] = Math.exp(a + (b - a) * i / (table.length - 1.0));
        }
    }

    /** The exact-denoiser case: x0 prediction, no input scaling beyond EDM's. */
    public static ContinuousVeSampling exact(double sigmaMin, double sigmaMax) {
        return new ContinuousVeSampling(sigmaMin, sigmaMax, 1.0, Prediction.X0);
    }

    @Override
    public double sigmaMin() {
        return sigmaMin;
    }

    @Override
    public double sigmaMax() {
        return sigmaMax;
    }

    @Override
    public double timestep(double sigma) {
        return 0.25 * Math.log(sigma);
    }

    @Override
    public double sigma(double timestep) {
        return Math.exp(4 * timestep);
    }

    @Override
    public double inputScale(double sigma) {
        return 1.0 / Math.sqrt(sigma * sigma + sigmaData * sigmaData);
    }

    @Override
    public Prediction prediction() {
        return prediction;
    }

    @Override
    public double[] sigmaTable() {
        return table.clone();
    }

    @Override
    public String describe() {
        return "continuous VE (EDM), sigma " + sigmaMin + ".." + sigmaMax;
    }
}
