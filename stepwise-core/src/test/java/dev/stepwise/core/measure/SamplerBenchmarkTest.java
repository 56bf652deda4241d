package dev.stepwise.core.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.Normal;
import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The measurement API behind {@code stepwise measure samplers}, on cases whose answer is known. The orders of euler
 * and heun are the facts {@code DeterministicOrderTest} checks for every sampler through {@link OrderMeasurement};
 * here they are read through {@link SamplerBenchmark#measure}, the path the table takes.
 */
class SamplerBenchmarkTest {
    /** DeterministicOrderTest's tolerance. */
    static final double TOLERANCE = 0.3;

    @Test
    void measuredOrdersOfEulerAndHeun() {
        SamplerBenchmark.Row euler = SamplerBenchmark.measure(Samplers.get("euler"), new int[0]);
        SamplerBenchmark.Row heun = SamplerBenchmark.measure(Samplers.get("heun"), new int[0]);
        assertEquals(1, euler.order(), TOLERANCE, euler.toString());
        assertEquals(2, heun.order(), TOLERANCE, heun.toString());
        assertEquals(Map.of(), heun.orderParameters());
        assertEquals("", heun.failure());
    }

    /** A stochastic sampler with eta is measured on its probability-flow ODE (eta = 0): euler_ancestral is then euler. */
    @Test
    void stochasticSamplerWithEtaIsMeasuredAtEtaZero() {
        SamplerBenchmark.Row r = SamplerBenchmark.measure(Samplers.get("euler_ancestral"), new int[0]);
        assertEquals(Map.of("eta", 0), r.orderParameters());
        assertEquals(1, r.order(), TOLERANCE, r.toString());
        assertEquals(SamplerBenchmark.Metric.SLICED_W1, r.metric());
        SamplerBenchmark.Row ddpm = SamplerBenchmark.measure(Samplers.get("ddpm"), new int[0]);
        assertTrue(Double.isNaN(ddpm.order()) && ddpm.orderNote().equals("stochastic"), ddpm.toString());
    }

    /**
     * heun's RMS error to the exact ODE endpoint falls with the budget, at its order: 10, 20, 40 calls are 5, 10, 20
     * steps of two calls (no final step onto 0 in this benchmark), so each doubling should divide the error by about
     * 2^2 = 4; at these coarse step counts the ratio is allowed to be anywhere in 2.5..8.
     */
    @Test
    void deterministicErrorFallsWithTheBudgetAtTheSamplersOrder() {
        SamplerBenchmark.Row r = SamplerBenchmark.measure(Samplers.get("heun"), SamplerBenchmark.BUDGETS);
        List<SamplerBenchmark.ErrorAtNfe> e = r.errors();
        assertEquals(SamplerBenchmark.Metric.ODE_RMS, r.metric());
        assertEquals(List.of(5, 10, 20), e.stream().map(SamplerBenchmark.ErrorAtNfe::steps).toList());
        assertEquals(List.of(10L, 20L, 40L), e.stream().map(SamplerBenchmark.ErrorAtNfe::nfe).toList());
        for (int i = 0; i + 1 < e.size(); i++) {
            double ratio = e.get(i).error() / e.get(i + 1).error();
            assertTrue(ratio > 2.5 && ratio < 8, "heun error ratio " + ratio + " between " + e.get(i) + " and " + e.get(i + 1));
        }
        assertNull(r.adaptiveRun());
    }

    /** The budget buys the largest step count that fits: heun's last step onto 0 is one call, so 10 calls buy 5 steps (9 calls). */
    @Test
    void budgetBuysTheLargestStepCountThatFits() {
        SamplerInfo heun = Samplers.get("heun");
        assertEquals(5, SamplerBenchmark.stepsFor(heun, 10, SamplerBenchmark::mixtureSigmas));
        assertEquals(9, heun.expectedNfe(SamplerBenchmark.mixtureSigmas(5)));
        assertEquals(5, SamplerBenchmark.stepsFor(heun, 11, SamplerBenchmark::odeSigmas));
        assertEquals(0, SamplerBenchmark.stepsFor(heun, 1, SamplerBenchmark::odeSigmas));
        assertEquals(40, SamplerBenchmark.stepsFor(Samplers.get("euler"), 40, SamplerBenchmark::odeSigmas));
    }

    /**
     * euler_ancestral's distance to the ring falls with the budget, by more than the measurement's noise: one set of
     * exact samples of the benchmark's size scores floor[0] with standard deviation floor[1], so differences and
     * excesses of 4 standard deviations (4 sqrt(2) for a difference of two runs) are resolved.
     */
    @Test
    void stochasticErrorFallsWithTheBudgetBeyondTheNoiseFloor() {
        SamplerInfo info = Samplers.get("euler_ancestral");
        double[] floor = SamplerBenchmark.noiseFloor();
        SamplerBenchmark.ErrorAtNfe at10 = SamplerBenchmark.mixtureError(info, Map.of(), 10, 10);
        SamplerBenchmark.ErrorAtNfe at40 = SamplerBenchmark.mixtureError(info, Map.of(), 40, 40);
        String text = at10 + " " + at40 + " floor " + floor[0] + " +- " + floor[1];
        assertEquals(10, at10.nfe(), text);
        assertTrue(at10.error() > floor[0] + 4 * floor[1], text);
        assertTrue(at10.error() - at40.error() > 4 * Math.sqrt(2) * floor[1], text);
    }

    /**
     * The sliced distance on exact answers: exact samples moved by d = 0.5 along x are at W1 = |d cos(theta)| from
     * the ring along each direction theta (a shift moves every quantile by d cos(theta)), so the sliced distance is
     * 0.5 times the mean of |cos(pi l / 32)|, up to the samples' own noise; and the noise floor itself matches the
     * binomial expectation E|F_n - F| = sqrt(2 F (1 - F) / (pi n)) integrated over t, averaged over the directions,
     * within 4 standard errors of the mean of its {@link SamplerBenchmark#FLOOR_REPEATS} sets.
     */
    @Test
    void slicedDistanceOnExactAnswers() {
        GaussianMixture ring = SamplerBenchmark.RING;
        int n = SamplerBenchmark.MIXTURE_ROWS, directions = SamplerBenchmark.DIRECTIONS;
        SlicedWasserstein sw = new SlicedWasserstein(ring, directions);
        double[] floor = SamplerBenchmark.noiseFloor();

        double expectedFloor = 0;
        for (int l = 0; l < directions; l++) {
            double a = Math.PI * l / directions;
            double integral = 0, dt = 1e-3;
            for (double t = -7; t <= 7; t += dt) {
                double f = 0;
                for (GaussianMixture.Component c : ring.components()) {
                    double m = Math.cos(a) * c.mean()[0] + Math.sin(a) * c.mean()[1];
                    f += Normal.cdf((t - m) / c.std()) / ring.components().size();
                }
                integral += Math.sqrt(2 * f * (1 - f) / (Math.PI * n)) * dt;
            }
            expectedFloor += integral / directions;
        }
        assertEquals(expectedFloor, floor[0], 4 * floor[1] / Math.sqrt(SamplerBenchmark.FLOOR_REPEATS), "noise floor " + floor[0] + " +- " + floor[1]);

        double[][] rows = ring.sample(n, 0, Conditioning.NONE, new TorchGenerator(99));
        float[] shifted = new float[2 * n];
        for (int i = 0; i < n; i++) {
            shifted[2 * i] = (float) (rows[i][0] + 0.5);
            shifted[2 * i + 1] = (float) rows[i][1];
        }
        double exact = 0;
        for (int l = 0; l < directions; l++) {
            exact += 0.5 * Math.abs(Math.cos(Math.PI * l / directions)) / directions;
        }
        assertEquals(exact, sw.distance(shifted), floor[0] + 4 * floor[1], "shifted by 0.5");
        shifted[0] = Float.NaN;
        assertTrue(Double.isNaN(sw.distance(shifted)));
    }

    /**
     * The generic paths, on samplers made for the test: an adaptive one (here euler flagged adaptive) runs once and
     * reports the calls it made (10 over the 10-step list it is given); one that throws is reported, not raised.
     */
    @Test
    void adaptiveAndFailingSamplersAreReportedNotRaised() {
        SamplerInfo euler = Samplers.get("euler");
        SamplerInfo adaptive = SamplerInfo.builder("adaptive_euler").adaptive().create(o -> euler.create());
        SamplerBenchmark.Row a = SamplerBenchmark.measure(adaptive, SamplerBenchmark.BUDGETS);
        assertTrue(Double.isNaN(a.order()) && a.orderNote().equals("adaptive") && a.errors().isEmpty(), a.toString());
        assertEquals(10, a.adaptiveRun().nfe(), a.toString());
        assertEquals(SamplerBenchmark.odeError(euler, Map.of(), 0, 10).error(), a.adaptiveRun().error(), 0, a.toString());

        SamplerInfo broken = SamplerInfo.builder("broken").create(o -> (ctx, x, sigmas) -> {
            throw new IllegalStateException("no model calls today");
        });
        SamplerBenchmark.Row b = SamplerBenchmark.measure(broken, SamplerBenchmark.BUDGETS);
        assertEquals("no model calls today", b.failure(), b.toString());
        assertTrue(Double.isNaN(b.order()), b.toString());
    }
}
