package dev.stepwise.core.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stepwise.core.model.ModelSampling;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** User sigma lists, and the denoise / discard-penultimate handling of a run, against hand-computed lists. */
class SigmasTest {
    private static final ModelSampling SD1 = SchedulersTest.SD1;
    private static final double[] T = SD1.sigmaTable();

    @Test
    void parsesCommasAndWhitespace() {
        assertArrayEquals(new double[] {14.6, 7.2, 3.1, 0}, Sigmas.parse(" 14.6, 7.2 3.1,0 "));
        assertArrayEquals(new double[] {1, 0.5}, Sigmas.parse("1\t0.5"));
        assertArrayEquals(new double[] {2e1, 1e-3}, Sigmas.parse("2e1 , 1e-3"));
    }

    @Test
    void rejectsBadListsWithOneClearLine() {
        assertEquals("the sigma list is empty; give at least two numbers, e.g. 14.6,0",
                assertThrows(IllegalArgumentException.class, () -> Sigmas.parse("  ")).getMessage());
        assertEquals("sigma 'x' is not a number",
                assertThrows(IllegalArgumentException.class, () -> Sigmas.parse("14.6, x, 0")).getMessage());
        assertEquals("a sigma list needs at least 2 values (one step), got 1",
                assertThrows(IllegalArgumentException.class, () -> Sigmas.parse("14.6")).getMessage());
        assertEquals("sigmas must decrease strictly, but sigma[2] = 3.0 follows 3.0",
                assertThrows(IllegalArgumentException.class, () -> Sigmas.parse("14.6, 3, 3, 0")).getMessage());
        assertEquals("sigmas must decrease strictly, but sigma[1] = 7.0 follows 1.0",
                assertThrows(IllegalArgumentException.class, () -> Sigmas.parse("1, 7")).getMessage());
        assertEquals("sigma -1.0 at position 1 must be finite and >= 0",
                assertThrows(IllegalArgumentException.class, () -> Sigmas.parse("1, -1")).getMessage());
        assertEquals("sigma NaN at position 0 must be finite and >= 0",
                assertThrows(IllegalArgumentException.class, () -> Sigmas.check(new double[] {Double.NaN, 0})).getMessage());
        assertEquals("sigma Infinity at position 0 must be finite and >= 0",
                assertThrows(IllegalArgumentException.class, () -> Sigmas.parse("Infinity 0")).getMessage());
    }

    @Test
    void aListNeedNotEndInZero() {
        // Split sampling (ComfyUI's SplitSigmas) runs a list that stops above 0.
        Sigmas.check(new double[] {14.6, 3, 1.5});
    }

    @Test
    void fullDenoiseIsTheSchedulerList() {
        Scheduler k = new KarrasScheduler(7);
        assertArrayEquals(k.sigmas(SD1, 6), Sigmas.forRun(k, SD1, 6, 1.0, false));
        assertArrayEquals(k.sigmas(SD1, 6), Sigmas.forRun(k, SD1, 6, 0.99995, false));
    }

    @Test
    void fullDenoiseKeepsDdimUniformsExtraStep() {
        // 7 steps of ddim_uniform are 8 (stride 142 from index 1); ComfyUI runs all of them at denoise 1.
        double[] s = Sigmas.forRun(Schedulers.get("ddim_uniform").create(), SD1, 7, 1.0, false);
        assertEquals(9, s.length);
        assertEquals(T[995], s[0]);
        // At denoise 0.5 the last 8 of int(7 / 0.5) = 14 steps (stride 71: indices ..., 143, 72, 1).
        double[] h = Sigmas.forRun(Schedulers.get("ddim_uniform").create(), SD1, 7, 0.5, false);
        assertEquals(8, h.length);
        assertEquals(T[1 + 71 * 6], h[0]);
        assertEquals(T[1], h[6]);
    }

    @Test
    void partialDenoiseTakesTheTailOfALongerSchedule() {
        Scheduler k = new KarrasScheduler(7);
        // 4 steps at denoise 0.5: the last 5 levels of an int(4 / 0.5) = 8 step Karras list.
        double[] s = Sigmas.forRun(k, SD1, 4, 0.5, false);
        double smin = SD1.sigmaMin(), smax = SD1.sigmaMax();
        double[] expected = new double[5];
        for (int i = 4; i < 8; i++) {
            expected[i - 4] = Math.pow(Math.pow(smax, 1 / 7.0) + i / 7.0 * (Math.pow(smin, 1 / 7.0) - Math.pow(smax, 1 / 7.0)), 7);
        }
        assertArrayEquals(expected, s, 1e-12);
        // 3 steps at 0.3: 3 / 0.3 = 10.000000000000002 in doubles, so 10 steps (as Python's int() gives).
        double[] t = Sigmas.forRun(Schedulers.get("simple").create(), SD1, 3, 0.3, false);
        assertArrayEquals(new double[] {T[299], T[199], T[99], 0}, t);
        // 10 steps at 0.7: int(14.28...) = 14 steps, the last 11 levels.
        double[] u = Sigmas.forRun(k, SD1, 10, 0.7, false);
        double[] all = k.sigmas(SD1, 14);
        assertArrayEquals(Arrays.copyOfRange(all, 4, 15), u);
    }

    @Test
    void discardPenultimateSchedulesOneMoreStepAndDropsTheLastNonzeroLevel() {
        // normal, 3 steps for dpm_2: schedule 4 (timesteps 999, 666, 333, 0) and drop T[0].
        double[] s = Sigmas.forRun(Schedulers.get("normal").create(), SD1, 3, 1.0, true);
        assertArrayEquals(new double[] {T[999], T[666], T[333], 0}, s, 2e-6);
        // With denoise 0.5 and 2 steps: 4 steps -> 5 scheduled (timesteps 999, 749.25, 499.5, 249.75, 0),
        // T[0] dropped, last 3 kept: sigma(499.5), sigma(249.75), 0.
        double[] d = Sigmas.forRun(Schedulers.get("normal").create(), SD1, 2, 0.5, true);
        assertEquals(3, d.length);
        assertEquals(Math.exp(0.5 * Math.log(T[499]) + 0.5 * Math.log(T[500])), d[0], 2e-6 * d[0]);
        assertEquals(Math.exp(0.25 * Math.log(T[249]) + 0.75 * Math.log(T[250])), d[1], 2e-6 * d[1]);
        assertEquals(0.0, d[2]);
    }

    @Test
    void badRunArgumentsNameTheValue() {
        Scheduler k = new KarrasScheduler(7);
        assertEquals("steps 0 must be at least 1",
                assertThrows(IllegalArgumentException.class, () -> Sigmas.forRun(k, SD1, 0, 1, false)).getMessage());
        assertEquals("denoise 0.0 must be in (0, 1]",
                assertThrows(IllegalArgumentException.class, () -> Sigmas.forRun(k, SD1, 5, 0, false)).getMessage());
        assertEquals("denoise 1.5 must be in (0, 1]",
                assertThrows(IllegalArgumentException.class, () -> Sigmas.forRun(k, SD1, 5, 1.5, false)).getMessage());
    }

    @Test
    void loglinearInterpolationIsGeometricBetweenLevels() {
        double[] levels = {8, 2, 1};
        // 5 points at positions 0, 1/4, 1/2, 3/4, 1 of a 3-point grid: midpoints are geometric means.
        assertArrayEquals(new double[] {8, 4, 2, Math.sqrt(2), 1}, Sigmas.loglinearInterp(levels, 5), 1e-14);
        assertArrayEquals(new double[] {8, 1}, Sigmas.loglinearInterp(levels, 2), 1e-14);
        assertArrayEquals(levels, Sigmas.loglinearInterp(levels, 3), 1e-14);
    }
}
