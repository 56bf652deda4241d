package dev.stepwise.core.testing;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Denoiser;
import dev.stepwise.core.model.FlowSampling;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.tensor.Tensor;
import java.util.List;

/**
 * A Gaussian mixture seen by a rectified-flow model: x = (1 - sigma) x0 + sigma n is the VE sample
 * x / (1 - sigma) = x0 + sigma / (1 - sigma) n, so the exact x0 estimate is the mixture's VE denoiser there.
 * At sigma = 1 (pure noise) the estimate is the data mean.
 */
public final class FlowMixture implements Denoiser {
    private final GaussianMixture mixture;

    public FlowMixture(GaussianMixture mixture) {
        this.mixture = mixture;
    }

    /** The mixture as an SD3-style flow model with the given shift. */
    public static Model model(GaussianMixture mixture, double shift) {
        return new Model("flow-mixture", new FlowMixture(mixture), FlowSampling.sd3(shift), new int[] {mixture.dim()});
    }

    @Override
    public void denoise(Tensor x, double sigma, List<Conditioning> cond, Tensor out) {
        if (sigma >= 1) {
            double[] mean = mixture.mean(Conditioning.NONE);
            float[] o = out.data();
            for (int i = 0; i < o.length; i++) {
                o[i] = (float) mean[i % mean.length];
            }
            return;
        }
        float[] xs = x.data();
        float[] scaled = new float[xs.length];
        float inv = (float) (1 / (1 - sigma));
        for (int i = 0; i < xs.length; i++) {
            scaled[i] = xs[i] * inv;
        }
        mixture.denoise(Tensor.wrap(scaled, x.shape()), sigma / (1 - sigma), cond, out);
    }
}
