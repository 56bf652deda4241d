package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.measure.SlicedWasserstein;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.noise.TorchGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The analytic metrics of a converged sampler against what exact samples of the target score. */
class MixtureMetricsTest {
    private static final int N = 4096;

    @TempDir
    Path tmp;

    /** The ring's label-1 components (90 and 270 degrees, weights 2 and 4), written out by hand. */
    private static GaussianMixture labelOne() {
        return new GaussianMixture(2, List.of(new GaussianMixture.Component(2, new double[] {0, 2}, 0.3, 1),
                new GaussianMixture.Component(4, new double[] {0, -2}, 0.3, 1)), 0.002, 80);
    }

    /** Mean and standard error of -log p(x) over n exact samples of the target. */
    private static double[] exactNll(GaussianMixture mixture, Conditioning cond, long seed) {
        double[][] rows = mixture.sample(N, 0, cond, new TorchGenerator(seed));
        double sum = 0, sum2 = 0;
        for (double[] row : rows) {
            double v = -mixture.logDensity(row, 0, cond);
            sum += v;
            sum2 += v * v;
        }
        double mean = sum / N, var = (sum2 - N * mean * mean) / (N - 1);
        return new double[] {mean, Math.sqrt(var / N)};
    }

    @Test
    void convergedSamplerScoresLikeExactSamples() throws IOException {
        GaussianMixture ring = TestPlans.labelledRing();
        MixtureSource source = TestPlans.source(ring, "ring");
        // A converged deterministic solve, and a coarse one that must score visibly worse.
        Plan plan = TestPlans.plan(TestPlans.samplers("dpmpp_2m", "euler"), List.of("karras"), List.of(3, 60),
                List.of(1.0), List.of(Plan.PromptSpec.of(""), Plan.PromptSpec.of("1")), List.of(5L), N, null, 2);
        List<CellResult> results = Comparison.run(plan, TestPlans.cells(plan), source, tmp, Comparison.Listener.NONE);

        GaussianMixture[] targets = {ring, labelOne()};
        Conditioning[] conds = {Conditioning.NONE, Conditioning.label(1, 2)};
        for (int prompt = 0; prompt < 2; prompt++) {
            SlicedWasserstein sw = new SlicedWasserstein(targets[prompt], CellMetrics.SLICED_DIRECTIONS);
            double[] floor = sw.floor(targets[prompt], N, 8);
            double[] nll = exactNll(ring, conds[prompt], 100 + prompt);
            for (CellResult r : results) {
                if (r.cell().prompt() != prompt) {
                    continue;
                }
                String what = r.cell().config().label() + " prompt " + prompt + " " + r.metrics() + " floor "
                        + floor[0] + " +- " + floor[1] + ", exact nll " + nll[0] + " +- " + nll[1];
                double w1 = r.metric(CellResult.Metrics.SLICED_W1), l = r.metric(CellResult.Metrics.NLL);
                if (r.cell().steps() == 60 && r.cell().config().sampler().name().equals("dpmpp_2m")) {
                    assertTrue(w1 < floor[0] + 4 * floor[1], what);
                    // Two independent means of N values: their difference has standard error sqrt(2) se.
                    assertEquals(nll[0], l, 4 * Math.sqrt(2) * nll[1], what);
                } else if (r.cell().steps() == 3 && r.cell().config().sampler().name().equals("euler")) {
                    assertTrue(w1 > floor[0] + 10 * floor[1], what);
                    assertFalse(Math.abs(l - nll[0]) < 10 * nll[1], what);
                }
            }
        }
    }

    @Test
    void conditionalMixtureKeepsTheLabelledComponentsWithConditionalWeights() {
        GaussianMixture m = CellMetrics.conditional(TestPlans.labelledRing(), Conditioning.label(1, 2));
        assertEquals(2, m.components().size());
        double[] expected = {2.0 / 6, 4.0 / 6};
        for (int k = 0; k < 2; k++) {
            GaussianMixture.Component c = m.components().get(k);
            assertEquals(expected[k], c.weight(), 1e-15);
            assertEquals(0.3, c.std());
            assertEquals(1, c.label());
        }
        assertEquals(2, m.components().get(0).mean()[1]);
        assertEquals(-2, m.components().get(1).mean()[1]);
    }
}
