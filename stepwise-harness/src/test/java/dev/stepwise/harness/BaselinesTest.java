package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Conditioning;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What exact samples score, checked against closed forms. */
class BaselinesTest {

    @Test
    void exactSamplesOfAGaussianScoreItsEntropyAsNll() {
        // N(m, s^2 I) in 2-D: E[-log p(x)] = log(2 pi e s^2) exactly (d/2 log(2 pi e s^2) with d = 2).
        double s = 0.5;
        GaussianMixture g = GaussianMixture.gaussian(new double[] {1, -1}, s, 0.002, 80);
        MixtureSource source = new MixtureSource("gauss", g, "gauss@test");
        List<Summary.Baseline> b = new CellMetrics(source, List.of(Conditioning.NONE)).baselines(List.of(""), 4096, 6);
        assertEquals(1, b.size());
        Summary.Baseline x = b.get(0);
        double entropy = Math.log(2 * Math.PI * Math.E * s * s);
        // -log p = log(2 pi s^2) + |x - m|^2 / (2 s^2), and |x - m|^2 / s^2 is chi-square(2): the per-set mean has
        // standard deviation 1 / sqrt(n) (half the chi-square(2) std of 2).
        double se = 1 / Math.sqrt(4096);
        assertEquals(entropy, x.nll(), 4 * se, "NLL of exact samples");
        assertTrue(x.nllStd() < 4 * se && x.nllStd() > 0.2 * se, "spread of the set means: " + x.nllStd());
        // Exact samples are not at distance 0: the floor is the samples' own noise, of order 1 / sqrt(n).
        assertTrue(x.slicedW1() > 0 && x.slicedW1() < 0.05, "sliced W1 floor " + x.slicedW1());
        assertEquals(4096, x.samples());
        assertEquals(6, x.sets());
    }

    @Test
    void aRepeatedPromptIsMeasuredOnce() {
        GaussianMixture g = GaussianMixture.gaussian(new double[] {0, 0}, 1, 0.002, 80);
        MixtureSource source = new MixtureSource("gauss", g, "gauss@test");
        List<Summary.Baseline> b = new CellMetrics(source, List.of(Conditioning.NONE, Conditioning.NONE))
                .baselines(List.of("", ""), 256, 2);
        assertEquals(1, b.size());
        // Unit variance: E[-log p] = log(2 pi e) = 2.8379; 2 sets of 256 rows, standard error 1 / 16.
        assertEquals(Math.log(2 * Math.PI * Math.E), b.get(0).nll(), 4.0 / 16);
    }
}
