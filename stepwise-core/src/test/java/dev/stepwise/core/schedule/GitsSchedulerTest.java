package dev.stepwise.core.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.model.ModelSampling;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The transcribed GITS tables: structure, consistency with SD1's noise levels, and ComfyUI's resampling. */
class GitsSchedulerTest {
    private static final ModelSampling SD1 = SchedulersTest.SD1;
    private static final double[] COEFFS = {0.80, 0.85, 0.90, 0.95, 1.00, 1.05, 1.10, 1.15, 1.20, 1.25, 1.30, 1.35,
        1.40, 1.45, 1.50};

    @Test
    void allFifteenCoefficientsAreThere() {
        assertEquals("0.80, 0.85, 0.90, 0.95, 1.00, 1.05, 1.10, 1.15, 1.20, 1.25, 1.30, 1.35, 1.40, 1.45, 1.50",
                GitsScheduler.supportedCoefficients());
    }

    @Test
    void everyTableListRunsFromSigmaMaxToSigmaMinStrictlyDecreasing() {
        for (double c : COEFFS) {
            GitsScheduler g = new GitsScheduler(c);
            for (int steps = 2; steps <= 20; steps++) {
                double[] l = g.table(steps);
                assertEquals(steps + 1, l.length);
                assertEquals(14.61464119, l[0]);
                assertEquals(0.02916753, l[steps]);
                for (int i = 1; i < l.length; i++) {
                    assertTrue(l[i] < l[i - 1], "coeff " + c + ", " + steps + " steps, level " + i);
                }
            }
        }
    }

    /**
     * A transcription check: GITS searches its steps on a fine grid, and every published level is a point
     * of SD1's 100-step grid uniform in timestep, t_k = 999 (1 - k/100) (within 3e-5: the authors' SD1
     * sigmas differ from this float table in the last digits). Grid points are over 3% apart, so a wrong
     * digit among the first four of any value fails here.
     */
    @Test
    void everyLevelLiesOnSd1sTimestepUniformGrid() {
        double[] grid = new double[101];
        for (int k = 0; k <= 100; k++) {
            grid[k] = SD1.sigma(999 * (1 - k / 100.0));
        }
        TreeSet<Double> distinct = new TreeSet<>();
        for (double c : COEFFS) {
            for (int steps = 2; steps <= 20; steps++) {
                for (double v : new GitsScheduler(c).table(steps)) {
                    double nearest = Double.POSITIVE_INFINITY;
                    for (double gk : grid) {
                        nearest = Math.min(nearest, Math.abs(gk / v - 1));
                    }
                    assertTrue(nearest < 5e-5, "coeff " + c + ", " + steps + " steps: " + v + " is off the grid by " + nearest);
                    distinct.add(v);
                }
            }
        }
        // And a value is spelled the same wherever it occurs: no two distinct values closer than 2%.
        List<Double> sorted = new ArrayList<>(distinct);
        for (int i = 1; i < sorted.size(); i++) {
            assertTrue(sorted.get(i) / sorted.get(i - 1) > 1.02, sorted.get(i - 1) + " and " + sorted.get(i));
        }
    }

    @Test
    void defaultTenStepsIsThePublishedListEndingInZero() {
        double[] s = Schedulers.get("gits").create().sigmas(SD1, 10);
        assertArrayEquals(new double[] {14.61464119, 5.85520077, 2.84484982, 1.67050016, 1.08895338, 0.74807048,
            0.50118381, 0.32104823, 0.19894916, 0.09824532, 0}, s, 0);
        double[] two = Schedulers.get("gits").create(Map.of("coeff", "0.8")).sigmas(SD1, 2);
        assertArrayEquals(new double[] {14.61464119, 7.49001646, 0}, two, 0);
        double[] last = Schedulers.get("gits").create(Map.of("coeff", 1.5)).sigmas(SD1, 20);
        assertEquals(0.4783645, last[6]);
    }

    @Test
    void moreThanTwentyStepsInterpolateTheTwentyStepListInLogSigma() {
        GitsScheduler g = new GitsScheduler(1.20);
        double[] p = g.table(20);
        double[] s = g.sigmas(SD1, 40);
        assertEquals(41, s.length);
        for (int k = 0; k < 20; k++) {
            assertEquals(p[k], s[2 * k], 1e-12 * p[k], "k=" + k);
            assertEquals(Math.sqrt(p[k] * p[k + 1]), s[2 * k + 1], 1e-12 * p[k], "k=" + k);
        }
        assertEquals(0.0, s[40]);
        assertArrayEquals(new double[] {14.61464119, 0}, g.sigmas(SD1, 1), 1e-12);
    }

    @Test
    void unsupportedCoefficientsAreRefusedWithTheList() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Schedulers.get("gits").create(Map.of("coeff", 0.83)));
        assertEquals("scheduler gits: coeff = 0.83 is not supported; allowed: " + GitsScheduler.supportedCoefficients(),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Schedulers.get("gits").create(Map.of("coeff", 1.55)));
        assertEquals("scheduler gits: coeff = 1.55 is out of range; allowed: [0.8, 1.5]", e.getMessage());
    }
}
