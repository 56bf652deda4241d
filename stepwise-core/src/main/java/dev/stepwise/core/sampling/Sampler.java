package dev.stepwise.core.sampling;

/**
 * A sampler walks x down a list of noise levels (k-diffusion's {@code sample_*(model, x, sigmas)}):
 * x starts at sigmas[0] and ends at the last sigma, usually 0. It updates x in place and reaches the
 * model, the noise and the progress display only through the context.
 */
@FunctionalInterface
public interface Sampler {

    void sample(SamplingContext ctx, float[] x, double[] sigmas);
}
