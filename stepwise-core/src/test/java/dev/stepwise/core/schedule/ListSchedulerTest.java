package dev.stepwise.core.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.ModelSampling;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A fixed list: exact at its own step count, log-linearly resampled (hand-computed here) at others. */
class ListSchedulerTest {
    private static final ModelSampling SD1 = SchedulersTest.SD1;
    private static final double[] LIST = {10, 5, 1, 0};

    @Test
    void itsOwnStepCountIsTheListExactly() {
        double[] odd = {14.614641229, 3.000000000001, 0.1 + 0.2, 0};
        assertArrayEquals(odd, new ListScheduler(odd).sigmas(SD1, 3), 0);
        assertEquals(3, new ListScheduler(odd).steps());
    }

    /**
     * The positive values 10, 5, 1 sit at positions 1, 0.5, 0 of log sigma (ascending, as numpy's interp takes
     * them); n steps take n evenly spaced positions of that piecewise-linear curve, then the final 0.
     */
    @Test
    void otherStepCountsInterpolateLogSigmaOverThePositiveValues() {
        ListScheduler s = new ListScheduler(LIST);
        assertArrayEquals(new double[] {10, Math.sqrt(50), 5, Math.sqrt(5), 1, 0}, s.sigmas(SD1, 5), 1e-12);
        assertArrayEquals(new double[] {10, 5 * Math.cbrt(2), Math.pow(5, 2.0 / 3), 1, 0}, s.sigmas(SD1, 4), 1e-12);
        assertArrayEquals(new double[] {10, 1, 0}, s.sigmas(SD1, 2), 1e-12);
        assertArrayEquals(new double[] {10, 0}, s.sigmas(SD1, 1), 0, "one step starts at the list's top");
        assertEquals(1001, s.sigmas(SD1, 1000).length);
    }

    @Test
    void badListsAreRefusedWithOneLine() {
        assertEquals("a fixed sigma list must end in 0, but its last value is 1.0",
                assertThrows(IllegalArgumentException.class, () -> new ListScheduler(10, 5, 1)).getMessage());
        assertEquals("sigmas must decrease strictly, but sigma[1] = 10.0 follows 10.0",
                assertThrows(IllegalArgumentException.class, () -> new ListScheduler(10, 10, 0)).getMessage());
        assertEquals("a 1-step sigma list has one positive sigma and cannot be resampled to 3 steps; run it at 1 step",
                assertThrows(IllegalArgumentException.class, () -> new ListScheduler(10, 0).sigmas(SD1, 3)).getMessage());
        assertArrayEquals(new double[] {10, 0}, new ListScheduler(10, 0).sigmas(SD1, 1), 0);
    }

    @Test
    void aRunWalksTheListAsGivenEvenForDiscardPenultimateSamplers() {
        ListScheduler s = new ListScheduler(LIST);
        assertArrayEquals(LIST, Sigmas.forRun(s, SD1, 3, 1.0, true), 0);
        // denoise 0.5: the last 3 steps of the list resampled to 6, as for any scheduler
        double[] six = s.sigmas(SD1, 6);
        assertArrayEquals(Arrays.copyOfRange(six, 3, 7), Sigmas.forRun(s, SD1, 3, 0.5, false), 0);
    }

    @Test
    void aRequestTakesTheObjectAndGivesTheSameRunAsTheExplicitList() {
        GaussianMixture g = GaussianMixture.gaussian(new double[] {1, -1}, 0.5, 0.002, 80);
        Model m = g.model("gauss");
        double[] list = {80, 20, 4, 0.5, 0};
        SampleResult bySigmas = Stepwise.sample(SampleRequest.builder(m).sampler("uni_pc").sigmas(list).seed(3).batch(4).build());
        SampleResult byObject = Stepwise.sample(SampleRequest.builder(m).sampler("uni_pc").scheduler(new ListScheduler(list))
                .steps(4).seed(3).batch(4).build());
        assertArrayEquals(bySigmas.samples().data(), byObject.samples().data(), 0);
        assertArrayEquals(list, byObject.sigmas(), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Stepwise.sample(SampleRequest
                .builder(m).scheduler(new ListScheduler(list)).schedulerParameter("rho", 7).steps(4).build()));
        assertEquals("scheduler parameters [rho] are for a named scheduler; a scheduler given as an object takes none",
                e.getMessage());
    }
}
