package dev.stepwise.harness;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.measure.SlicedWasserstein;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.metrics.Classifier;
import dev.stepwise.onnx.metrics.PromptAdherence;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The quality figures of one cell's samples ({@link CellResult.Metrics}): on image models prompt adherence,
 * the predicted class and the classifier features; on analytic mixtures the sliced W1 distance (2-D) and the
 * negative log-likelihood under the exact target; on any model the RMS distance to the converged reference.
 * The target of a prompt is the model's distribution conditioned on the prompt alone: guidance (cfg) and
 * the negative prompt shape how a sampler gets there, not what the data are. Prepared once per plan and
 * shared by the workers (it holds no mutable state).
 */
public final class CellMetrics {
    /** Projections of the sliced W1 distance (as the core sampler benchmark uses). */
    public static final int SLICED_DIRECTIONS = 32;

    private final ModelSource source;
    private final List<Conditioning> prompts;
    private final List<SlicedWasserstein> sliced;
    private final boolean nll;

    /**
     * @param prompts the plan's positive prompts, parsed, by prompt index
     */
    public CellMetrics(ModelSource source, List<Conditioning> prompts) {
        this.source = source;
        this.prompts = List.copyOf(prompts);
        List<SlicedWasserstein> s = new ArrayList<>();
        boolean positiveStd = true;
        if (source instanceof MixtureSource m) {
            for (GaussianMixture.Component c : m.mixture().components()) {
                positiveStd &= c.std() > 0;
            }
            for (Conditioning c : prompts) {
                // Sliced W1 and the density both need std > 0: a point mass has no density to score against.
                s.add(m.mixture().dim() == 2 && positiveStd
                        ? new SlicedWasserstein(conditional(m.mixture(), c), SLICED_DIRECTIONS) : null);
            }
        }
        this.sliced = s;
        this.nll = source instanceof MixtureSource && positiveStd;
    }

    /** Metrics and classifier features of a cell. */
    public record Figures(Map<String, Double> metrics, double[][] features) {
    }

    /**
     * Measures the samples of a cell.
     *
     * @param prompt    the cell's prompt index
     * @param samples   [batch, shape...]
     * @param reference the converged reference of the same shape, or null for none
     */
    public Figures measure(int prompt, Tensor samples, Tensor reference) {
        Map<String, Double> m = new LinkedHashMap<>();
        double[][] features = null;
        Conditioning cond = prompts.get(prompt);
        switch (source) {
            case ImageSource image -> {
                Classifier classifier = image.classifier();
                if (classifier != null) {
                    Classifier.Result r = classifier.classify(samples);
                    int[] predicted = r.predictions();
                    int target = cond instanceof Conditioning.Classes c ? PromptAdherence.promptedClass(c) : -1;
                    if (target >= 0) {
                        int[] prompted = new int[predicted.length];
                        Arrays.fill(prompted, target);
                        m.put(CellResult.Metrics.ADHERENCE, PromptAdherence.score(predicted, prompted));
                    }
                    m.put(CellResult.Metrics.PREDICTED_CLASS, (double) predicted[0]);
                    features = r.featureRows();
                }
            }
            case SdSource sd -> {
                // No classifier knows a checkpoint's images: the report says so (SdSource.metricsNote).
            }
            case MixtureSource mixture -> {
                SlicedWasserstein sw = sliced.get(prompt);
                if (sw != null) {
                    m.put(CellResult.Metrics.SLICED_W1, sw.distance(samples.data()));
                }
                if (nll) {
                    double sum = 0;
                    for (int i = 0; i < samples.batch(); i++) {
                        sum -= mixture.mixture().logDensity(samples.row(i), 0, cond);
                    }
                    m.put(CellResult.Metrics.NLL, sum / samples.batch());
                }
            }
        }
        if (reference != null) {
            m.put(CellResult.Metrics.REFERENCE_DISTANCE, rms(samples, reference));
        }
        return new Figures(m, features);
    }

    /** Root-mean-square difference over all values of two tensors of the same shape. */
    public static double rms(Tensor a, Tensor b) {
        if (!a.sameShape(b)) {
            throw new IllegalArgumentException("cannot compare " + a + " with " + b + ": shapes differ");
        }
        float[] x = a.data(), y = b.data();
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            double d = (double) x[i] - y[i];
            sum += d * d;
        }
        return Math.sqrt(sum / x.length);
    }

    /**
     * What exact samples of each prompt's target score on this class's figures ({@link Summary.Baseline}):
     * {@code sets} sets of {@code batch} rows, drawn with torch-compatible generators seeded 1..sets. Empty for
     * image models, whose target has no exact sampler.
     *
     * @param texts the prompts as written, by prompt index (a text that appears twice is measured once)
     */
    public List<Summary.Baseline> baselines(List<String> texts, int batch, int sets) {
        if (texts.size() != prompts.size()) {
            throw new IllegalArgumentException(texts.size() + " prompt texts for " + prompts.size() + " prompts");
        }
        if (!(source instanceof MixtureSource m) || sets < 1) {
            return List.of();
        }
        List<Summary.Baseline> out = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        int dim = m.mixture().dim();
        for (int p = 0; p < prompts.size(); p++) {
            if (seen.contains(texts.get(p))) {
                continue;
            }
            seen.add(texts.get(p));
            double[] w1 = new double[sets], nl = new double[sets];
            for (int set = 0; set < sets; set++) {
                double[][] rows = m.mixture().sample(batch, 0, prompts.get(p), new TorchGenerator(set + 1));
                float[] x = new float[batch * dim];
                for (int i = 0; i < batch; i++) {
                    for (int j = 0; j < dim; j++) {
                        x[i * dim + j] = (float) rows[i][j];
                    }
                }
                Map<String, Double> f = measure(p, Tensor.wrap(x, batch, dim), null).metrics();
                w1[set] = f.getOrDefault(CellResult.Metrics.SLICED_W1, Double.NaN);
                nl[set] = f.getOrDefault(CellResult.Metrics.NLL, Double.NaN);
            }
            out.add(new Summary.Baseline(texts.get(p), batch, sets, mean(w1), std(w1), mean(nl), std(nl)));
        }
        return out;
    }

    /** The baselines of a plan's prompts on its model, {@code sets} sets of the plan's batch. */
    public static List<Summary.Baseline> baselines(ModelSource source, Plan plan, int sets) {
        if (!(source instanceof MixtureSource)) {
            return List.of();
        }
        List<Conditioning> positives = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < plan.prompts().size(); i++) {
            String text = plan.prompts().get(i).prompt();
            positives.add(source.parse(text, plan.source() + ": prompts[" + i + "].prompt"));
            texts.add(text);
        }
        return new CellMetrics(source, positives).baselines(texts, plan.batch(), sets);
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    /** Sample standard deviation; 0 for one value. */
    private static double std(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double mu = mean(v);
        return Math.sqrt(Arrays.stream(v).map(a -> (a - mu) * (a - mu)).sum() / (v.length - 1));
    }

    /**
     * The mixture conditioned on a prompt: the components the prompt gives weight, with the conditional
     * weights (a mixture's conditioning re-weights components by their label's weight and drops the rest).
     */
    public static GaussianMixture conditional(GaussianMixture mixture, Conditioning cond) {
        if (cond == null || cond.isUnconditional()) {
            return mixture;
        }
        double[] w = mixture.weightsFor(cond);
        List<GaussianMixture.Component> kept = new ArrayList<>();
        List<GaussianMixture.Component> all = mixture.components();
        for (int k = 0; k < w.length; k++) {
            if (w[k] > 0) {
                GaussianMixture.Component c = all.get(k);
                kept.add(new GaussianMixture.Component(w[k], c.mean(), c.std(), c.label()));
            }
        }
        return new GaussianMixture(mixture.dim(), kept, mixture.sampling().sigmaMin(), mixture.sampling().sigmaMax());
    }
}
