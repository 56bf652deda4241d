package dev.stepwise.core.model;

/**
 * A discrete model's parameterisation with ComfyUI's sigma-to-timestep rule: the index of the nearest training
 * sigma in log space (comfy/model_sampling.py, ModelSamplingDiscrete.timestep: argmin |log sigma - log_sigmas|),
 * where k-diffusion and A1111 interpolate a fractional timestep. Everything else is the wrapped model's.
 */
public final class NearestTimestepSampling implements ModelSampling {
    private final ModelSampling inner;
    private final float[] logSigmas;

    public NearestTimestepSampling(ModelSampling inner) {
        this.inner = inner;
        double[] table = inner.sigmaTable();
        logSigmas = new float[table.length];
        for (int i = 0; i < table.length; i++) {
            logSigmas[i] = (float) Math.log((float) table[i]);   // float32 buffers, as ComfyUI keeps them
        }
    }

    public ModelSampling inner() {
        return inner;
    }

    @Override
    public double timestep(double sigma) {
        float ls = (float) Math.log((float) sigma);
        int best = 0;
        float bestDist = Float.POSITIVE_INFINITY;
        for (int i = 0; i < logSigmas.length; i++) {
            float d = Math.abs(ls - logSigmas[i]);
            if (d < bestDist) {   // torch's argmin keeps the first of equal values
                bestDist = d;
                best = i;
            }
        }
        return best;
    }

    @Override
    public double sigmaMin() {
        return inner.sigmaMin();
    }

    @Override
    public double sigmaMax() {
        return inner.sigmaMax();
    }

    @Override
    public double sigma(double timestep) {
        return inner.sigma(timestep);
    }

    @Override
    public double inputScale(double sigma) {
        return inner.inputScale(sigma);
    }

    @Override
    public Prediction prediction() {
        return inner.prediction();
    }

    @Override
    public double[] sigmaTable() {
        return inner.sigmaTable();
    }

    @Override
    public boolean isFlow() {
        return inner.isFlow();
    }

    @Override
    public void noiseScaling(double sigma, float[] noise, float[] latent, float[] out) {
        inner.noiseScaling(sigma, noise, latent, out);
    }

    @Override
    public boolean isMaxDenoise(double firstSigma) {
        return inner.isMaxDenoise(firstSigma);
    }

    @Override
    public void noiseScaling(double sigma, float[] noise, float[] latent, boolean maxDenoise, float[] out) {
        inner.noiseScaling(sigma, noise, latent, maxDenoise, out);
    }

    @Override
    public void inverseNoiseScaling(double sigma, float[] x) {
        inner.inverseNoiseScaling(sigma, x);
    }

    @Override
    public String describe() {
        return inner.describe() + ", nearest training timestep";
    }
}
