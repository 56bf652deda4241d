package dev.stepwise.core.model;

import dev.stepwise.core.tensor.Tensor;
import java.util.List;

/**
 * A network wrapped into the k-diffusion denoiser contract: scale the input by c_in(sigma), convert
 * sigma to the network's timestep, and turn the raw output into x0 by the model's prediction type.
 * Not thread-safe: it keeps one scratch buffer.
 */
public final class NetworkDenoiser implements Denoiser {
    private final Network network;
    private final ModelSampling sampling;
    private Tensor scaled;
    private Tensor raw;

    public NetworkDenoiser(Network network, ModelSampling sampling) {
        this.network = network;
        this.sampling = sampling;
    }

    public ModelSampling sampling() {
        return sampling;
    }

    @Override
    public void denoise(Tensor x, double sigma, List<Conditioning> cond, Tensor out) {
        if (scaled == null || !scaled.sameShape(x)) {
            scaled = Tensor.zeros(x.shape());
            raw = Tensor.zeros(x.shape());
        }
        float[] in = x.data(), s = scaled.data();
        float c = (float) sampling.inputScale(sigma);
        for (int i = 0; i < in.length; i++) {
            s[i] = c * in[i];
        }
        network.forward(scaled, sampling.timestep(sigma), cond, raw);
        sampling.prediction().toDenoised(in, sigma, raw.data(), out.data());
    }

    @Override
    public int maxBatch() {
        return network.maxBatch();
    }
}
