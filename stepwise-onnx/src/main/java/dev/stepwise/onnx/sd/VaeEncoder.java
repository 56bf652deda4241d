package dev.stepwise.onnx.sd;

import dev.stepwise.core.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * The VAE encoder of a model folder: {@code sample} [1, 3, H, W] in [-1, 1] to the model-space latent the
 * samplers start img2img from. optimum's export gives {@code latent_parameters} [1, 2C, h, w] (the diagonal
 * Gaussian's mean, then its log-variance); older exports {@code latent_sample} [1, C, h, w]. The mean is used, as
 * ComfyUI's VAEEncode does (comfy/ldm/models/autoencoder.py: DiagonalGaussianRegularizer(sample=False) returns the
 * mode). A1111 instead draws a sample from the distribution (sd_models' get_first_stage_encoding calls
 * DiagonalGaussianDistribution.sample() with the global torch generator), so its result is not a function of the
 * seed alone; Stepwise does not reproduce that. The latent is then scaled as the UIs do before sampling,
 * latent = (z - shift) * scale (ComfyUI's latent_format.process_in).
 */
public final class VaeEncoder implements AutoCloseable {
    private final TypedSession session;
    private final int channels;
    private final double scale;
    private final double shift;
    private final String output;

    VaeEncoder(TypedSession session, Family family, double scale, double shift) {
        this.session = session;
        this.channels = family.latentChannels();
        this.scale = scale;
        this.shift = shift;
        long[] in = session.input("sample", 4);
        if (in[1] > 0 && in[1] != 3) {
            throw new IllegalArgumentException(session.file() + ": input 'sample' has " + in[1]
                    + " channels, expected 3 (RGB)");
        }
        if (session.hasOutput("latent_parameters")) {
            output = "latent_parameters";
            checkChannels(session.output(output, 4), 2 * channels, "2 x " + channels + " (mean and log-variance)");
        } else if (session.hasOutput("latent_sample")) {
            output = "latent_sample";
            checkChannels(session.output(output, 4), channels, Integer.toString(channels));
        } else {
            throw new IllegalArgumentException(session.file() + ": no output 'latent_parameters' or 'latent_sample'"
                    + " (expected the VAE encoder of a diffusers/optimum export)");
        }
    }

    private void checkChannels(long[] shape, int expected, String what) {
        if (shape[1] > 0 && shape[1] != expected) {
            throw new IllegalArgumentException(session.file() + ": output '" + output + "' has " + shape[1]
                    + " channels, expected " + what + " for " + channels + "-channel latents");
        }
    }

    /** Pixels [3, H, W] in [-1, 1] (H, W multiples of 8) to the scaled latent [1, C, H/8, W/8] (the mean). */
    public Tensor encode(Tensor pixels) {
        int h = pixels.dim(1), w = pixels.dim(2);
        TypedSession.Output o = session.run(Map.of("sample", TypedSession.Input.of(pixels.data(), 1, 3, h, w)),
                List.of(output)).get(output);
        long[] s = o.shape();
        int lh = (int) s[2], lw = (int) s[3], plane = lh * lw;
        float[] z = new float[channels * plane];
        float sc = (float) scale, sh = (float) shift;
        for (int i = 0; i < z.length; i++) {
            z[i] = (o.data()[i] - sh) * sc;   // the first C channels: the mean
        }
        return Tensor.wrap(z, 1, channels, lh, lw);
    }

    @Override
    public void close() {
        session.close();
    }
}
