package dev.stepwise.harness.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.guidance.Conditions;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.noise.TorchGenerator;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link Gits}: the DP on matrices solved by hand, its invariants, and the cost matrix on an exact Gaussian. */
class GitsTest {

    /**
     * Four levels 0..3, two steps: the paths are 0-1-3 (C01 + c C13) and 0-2-3 (C02 + c C23). With C01 = 1,
     * C13 = 4, C02 = 3, C23 = 1: coeff 1 gives 5 against 4 (0-2-3); coeff 0.5 gives 3 against 3.5 (0-1-3).
     */
    @Test
    void twoStepsOnFourLevelsByHand() {
        double[][] c = new double[4][4];
        c[0][1] = 1;
        c[1][3] = 4;
        c[0][2] = 3;
        c[2][3] = 1;
        c[0][3] = 100;
        c[1][2] = 100;
        Gits.Path one = Gits.path(c, 2, 1);
        assertArrayEquals(new int[] {0, 2, 3}, one.indices());
        assertEquals(4, one.cost(), 0);
        Gits.Path half = Gits.path(c, 2, 0.5);
        assertArrayEquals(new int[] {0, 1, 3}, half.indices());
        assertEquals(3, half.cost(), 0);
        // One step has one path, 0-3; three steps visit every level: 1 + c (100 + c 1).
        assertArrayEquals(new int[] {0, 3}, Gits.path(c, 1, 1).indices());
        Gits.Path all = Gits.path(c, 3, 2);
        assertArrayEquals(new int[] {0, 1, 2, 3}, all.indices());
        assertEquals(1 + 2 * (100 + 2 * 1), all.cost(), 1e-12);
    }

    /**
     * A coefficient above 1 pushes error towards the early (noisy) steps: on five levels with three steps, cost 1 per
     * unit step and 4 per double step, the double step goes first when coeff = 2 (4 + 2 (1 + 2 * 1) = 10 against
     * 1 + 2 (1 + 2 * 4) = 19) and last when coeff = 0.5 (1 + 0.5 (1 + 0.5 * 4) = 2.5 against 4.75).
     */
    @Test
    void theCoefficientMovesTheLongStep() {
        double[][] c = new double[5][5];
        for (int i = 0; i < 5; i++) {
            for (int j = i + 1; j < 5; j++) {
                c[i][j] = j - i == 1 ? 1 : j - i == 2 ? 4 : 100;
            }
        }
        assertArrayEquals(new int[] {0, 2, 3, 4}, Gits.path(c, 3, 2).indices());
        assertEquals(10, Gits.path(c, 3, 2).cost(), 1e-12);
        assertArrayEquals(new int[] {0, 1, 2, 4}, Gits.path(c, 3, 0.5).indices());
        assertEquals(2.5, Gits.path(c, 3, 0.5).cost(), 1e-12);
    }

    @Test
    void everyPathKeepsItsEndsAndIncreases() {
        Random random = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int levels = 2 + random.nextInt(20);
            double[][] c = new double[levels][levels];
            for (double[] row : c) {
                for (int j = 0; j < levels; j++) {
                    row[j] = random.nextDouble() * 2 - 0.5;   // signed, as the dev metric's costs are
                }
            }
            int steps = 1 + random.nextInt(levels - 1);
            double coeff = 0.5 + random.nextDouble();
            int[] p = Gits.path(c, steps, coeff).indices();
            assertEquals(steps + 1, p.length);
            assertEquals(0, p[0]);
            assertEquals(levels - 1, p[steps]);
            for (int k = 1; k <= steps; k++) {
                assertTrue(p[k] > p[k - 1], Arrays.toString(p));
            }
            double[] levelsSigmas = new double[levels];
            for (int l = 0; l < levels; l++) {
                levelsSigmas[l] = 80 * Math.pow(0.5, l);
            }
            double[] s = Gits.path(c, steps, coeff).sigmas(levelsSigmas);
            assertEquals(80, s[0], 0);
            assertEquals(levelsSigmas[levels - 1], s[steps], 0);
            assertEquals(0, s[steps + 1], 0);
        }
    }

    @Test
    void badStepsAndCoefficientsAreRefused() {
        double[][] c = new double[4][4];
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Gits.path(c, 4, 1)).getMessage()
                .contains("steps 4 is not allowed; 4 teacher levels allow 1..3"));
        assertThrows(IllegalArgumentException.class, () -> Gits.path(c, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Gits.path(c, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> Gits.path(c, 2, Double.NaN));
    }

    @Test
    void teacherLevelsAreKarrasOverTheModelsRange() {
        var gauss = GaussianMixture.gaussian(new double[] {1, -1}, 0.5, 0.01, 20);
        double[] s = Gits.teacherLevels(gauss.sampling(), 60);
        assertEquals(61, s.length);
        assertEquals(20, s[0], 1e-12);
        assertEquals(0.01, s[60], 1e-12);
    }

    private static Gits.Trajectory trajectory(String sampler, int steps, int samples) {
        var gauss = GaussianMixture.gaussian(new double[] {0.5, -1, 2}, 0.7, 0.002, 80);
        Model model = gauss.model("gauss");
        float[] noise = new float[samples * 3];
        new TorchGenerator(0).randn(noise);
        return Gits.teacher(model, sampler, Gits.teacherLevels(gauss.sampling(), steps), noise,
                Conditions.unconditional(samples), 1, FitProgress.NONE);
    }

    /** A teacher that is Euler makes its own one-level steps: C[i][i+1] = 0, and longer jumps cost more. */
    @ParameterizedTest
    @EnumSource(Gits.Metric.class)
    void anEulerTeacherCostsNothingForItsOwnSteps(Gits.Metric metric) {
        Gits.Trajectory t = trajectory("euler", 20, 16);
        double[][] c = Gits.costs(t, metric, FitProgress.NONE);
        for (int i = 0; i < 20; i++) {
            assertEquals(0, c[i][i + 1], 0, "C[" + i + "][" + (i + 1) + "]");
        }
        if (metric != Gits.Metric.dev) {
            for (int i = 0; i < 19; i++) {
                for (int j = i + 2; j <= 20; j++) {
                    assertTrue(c[i][j] > c[i][j - 1], metric + " C[" + i + "][" + j + "] = " + c[i][j] + " after "
                            + c[i][j - 1]);
                }
            }
        }
    }

    /** The exact denoiser's trajectory under iPNDM on 61 levels: steps are cheap, the 5-step DP keeps its ends. */
    @Test
    void theIpndmTeacherGivesAStrictlyDecreasingList() {
        Gits.Trajectory t = trajectory(Gits.TEACHER, Gits.TEACHER_STEPS, 8);
        assertEquals(61, t.levels());
        double[][] c = Gits.costs(t, Gits.Metric.l2, FitProgress.NONE);
        Gits.Path p = Gits.path(c, 5, Gits.DEFAULT_COEFF);
        double[] s = p.sigmas(t.sigmas());
        assertEquals(7, s.length);
        assertEquals(80, s[0], 1e-9);
        assertEquals(0.002, s[5], 1e-12);
        for (int k = 1; k < s.length; k++) {
            assertTrue(s[k] < s[k - 1], Arrays.toString(s));
        }
        assertTrue(p.cost() > 0 && Double.isFinite(p.cost()));
    }
}
