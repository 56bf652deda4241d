package dev.stepwise.core.testing;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.guidance.ClassifierFreeGuidance;
import dev.stepwise.core.guidance.Conditions;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.noise.NoiseSampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import java.util.List;
import java.util.Map;

/**
 * A class-labelled 2-D Gaussian mixture for guidance tests, with its conditional and unconditional posterior means
 * computed here, in double precision, straight from the component formulas (independently of
 * {@link GaussianMixture#denoise}): for x = x0 + sigma n and components (w_k, m_k, s_k),
 * E[x0 | x] = sum_k r_k (m_k + s_k^2 / (s_k^2 + sigma^2) (x - m_k)), r_k proportional to
 * w_k N(x; m_k, (s_k^2 + sigma^2) I) over all components (unconditional) or over those of the label (conditional).
 */
public final class LabelledMixture {
    public static final int DIM = 2;
    public static final int LABEL = 1;
    /** weight, mean x, mean y, std, label. */
    private static final double[][] COMPONENTS = {
            {0.5, -2, 0.5, 0.4, 0},
            {0.3, 1.5, 1.5, 0.7, 1},
            {0.2, 1, -2, 0.25, 1}};

    public static final GaussianMixture MIXTURE = new GaussianMixture(DIM, List.of(
            component(0), component(1), component(2)), 0.002, 80);

    private LabelledMixture() {
    }

    private static GaussianMixture.Component component(int k) {
        double[] c = COMPONENTS[k];
        return new GaussianMixture.Component(c[0], new double[] {c[1], c[2]}, c[3], (int) c[4]);
    }

    /** The exact posterior mean at one point, over all components or only those with label {@link #LABEL}. */
    public static double[] posteriorMean(double[] x, double sigma, boolean conditional) {
        double[] logR = new double[COMPONENTS.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < COMPONENTS.length; k++) {
            double[] c = COMPONENTS[k];
            if (conditional && c[4] != LABEL) {
                logR[k] = Double.NEGATIVE_INFINITY;
                continue;
            }
            double v = c[3] * c[3] + sigma * sigma;
            double d2 = (x[0] - c[1]) * (x[0] - c[1]) + (x[1] - c[2]) * (x[1] - c[2]);
            logR[k] = Math.log(c[0]) - Math.log(2 * Math.PI * v) - d2 / (2 * v);   // 2-D normal density
            max = Math.max(max, logR[k]);
        }
        double total = 0;
        double[] mean = new double[DIM];
        for (int k = 0; k < COMPONENTS.length; k++) {
            double r = Math.exp(logR[k] - max);
            total += r;
            double[] c = COMPONENTS[k];
            double shrink = c[3] * c[3] / (c[3] * c[3] + sigma * sigma);
            mean[0] += r * (c[1] + shrink * (x[0] - c[1]));
            mean[1] += r * (c[2] + shrink * (x[1] - c[2]));
        }
        mean[0] /= total;
        mean[1] /= total;
        return mean;
    }

    /** Exact x0 estimates of a batch of rows (row-major, DIM per row). */
    public static double[] posteriorMeans(double[] x, double sigma, boolean conditional) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i += DIM) {
            double[] m = posteriorMean(new double[] {x[i], x[i + 1]}, sigma, conditional);
            out[i] = m[0];
            out[i + 1] = m[1];
        }
        return out;
    }

    /**
     * The exact x0 estimate of the mixture seen as a rectified flow, x = (1 - sigma) x0 + sigma n: the VE estimate at
     * x / (1 - sigma) and level sigma / (1 - sigma) (sigma < 1).
     */
    public static double[] flowPosteriorMeans(double[] x, double sigma, boolean conditional) {
        double[] scaled = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            scaled[i] = x[i] / (1 - sigma);
        }
        return posteriorMeans(scaled, sigma / (1 - sigma), conditional);
    }

    /** The CFG x0 estimate D_u + w (D_c - D_u). */
    public static double[] guided(double[] x, double sigma, double w) {
        double[] c = posteriorMeans(x, sigma, true), u = posteriorMeans(x, sigma, false);
        double[] g = new double[x.length];
        for (int i = 0; i < g.length; i++) {
            g[i] = u[i] + w * (c[i] - u[i]);
        }
        return g;
    }

    /**
     * A fixed, known step noise: value j of the step sigma -> sigmaNext is a deterministic function of (j, sigma,
     * sigmaNext), so a test can add exactly the noise the sampler added.
     */
    public static float knownNoise(int j, double sigma, double sigmaNext) {
        return (float) (1.5 * Math.sin(12.9898 * (j + 1) + 78.233 * sigma + 37.719 * sigmaNext));
    }

    public static final NoiseSampler KNOWN_NOISE = (sigma, sigmaNext, out) -> {
        for (int j = 0; j < out.length; j++) {
            out[j] = knownNoise(j, sigma, sigmaNext);
        }
    };

    /**
     * Runs a sampler on the mixture with classifier-free guidance at scale cfg, positive prompt the label
     * {@link #LABEL}, negative prompt unconditional (or both unconditional when {@code unconditional}), step noise
     * {@link #KNOWN_NOISE}.
     */
    public static float[] run(SamplerInfo info, Map<String, ?> parameters, double cfg, float[] start, double[] sigmas,
                              boolean unconditional) {
        return run(MIXTURE.model("labelled mixture"), info, parameters, cfg, start, sigmas, unconditional);
    }

    /** As above on a given model of the mixture (for example {@link FlowMixture#model}). */
    public static float[] run(Model model, SamplerInfo info, Map<String, ?> parameters, double cfg, float[] start,
                              double[] sigmas, boolean unconditional) {
        int batch = start.length / DIM;
        Conditions conditions = unconditional ? Conditions.unconditional(batch)
                : Conditions.of(Conditioning.label(LABEL, 2), Conditioning.NONE, batch);
        SamplingContext ctx = new SamplingContext(model, new ClassifierFreeGuidance(cfg),
                conditions, KNOWN_NOISE, null, batch);
        float[] x = start.clone();
        info.create(parameters).sample(ctx, x, sigmas);
        return x;
    }
}
