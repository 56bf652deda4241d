package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.UniPcStep;
import dev.stepwise.core.measure.ClosedFormGaussian;
import dev.stepwise.core.testing.SamplerRuns;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UniPcTest {

    /**
     * UniPC-p with its corrector is of order p + 1 (Zhao et al. 2023, Theorem 3.1), for both B(h). Measured with
     * lower_order_final off: ComfyUI's default ends with a first-order step, which caps the run's order at 2
     * (the registry order, measured by DeterministicOrderTest).
     */
    @ParameterizedTest
    @CsvSource({"1, BH1", "2, BH1", "3, BH1", "1, BH2", "2, BH2", "3, BH2"})
    void correctedUniPcOfOrderPReachesOrderPPlusOne(int p, UniPcStep.Variant variant) {
        SamplerInfo info = SamplerInfo.builder("uni_pc order " + p + " " + variant + " without lower_order_final")
                .order(p + 1).create(o -> new UniPc(p, variant, false));
        DeterministicOrderTest.assertOrder(info, Map.of(), p + 1);
    }

    @Test
    void orderOutsideOneToThreeIsRejected() {
        for (String name : List.of("uni_pc", "uni_pc_bh2")) {
            for (int bad : new int[] {0, 4}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> Samplers.get(name).create(Map.of("order", bad)));
                assertTrue(e.getMessage().contains("order") && e.getMessage().contains("1..3"), e.getMessage());
            }
            var g = GaussianMixture.gaussian(new double[] {0, 0}, 1, 0.002, 80);
            IllegalArgumentException viaRun = assertThrows(IllegalArgumentException.class, () -> Stepwise.sample(
                    SampleRequest.builder(g.model("g")).sampler(name).samplerParameter("order", 4).steps(3).build()));
            assertTrue(viaRun.getMessage().contains("order") && viaRun.getMessage().contains("1..3"), viaRun.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new UniPc(4, UniPcStep.Variant.BH1, true));
    }

    /**
     * A single step is UniP-1, the DDIM step of the data-prediction exponential integrator:
     * x_1 = (sigma_1 / sigma_0) x_0 + (1 - sigma_1 / sigma_0) D(x_0, sigma_0), with D of the Gaussian in closed form.
     */
    @Test
    void oneStepIsTheDdimStep() {
        double[] mean = {1, -2, 0.5};
        double s = 0.5, s0 = 14.6, s1 = 0.7;
        ClosedFormGaussian problem = new ClosedFormGaussian(mean, s);
        float[] start = SamplerRuns.startAt(mean, s0, 16, 3);
        for (SamplerInfo info : List.of(UniPc.INFO, UniPcBh2.INFO)) {
            float[] x = SamplerRuns.run(info, Map.of(), problem.model(), start, new double[] {s0, s1}, 0).x();
            for (int i = 0; i < x.length; i++) {
                double mu = mean[i % 3];
                double d = mu + s * s / (s * s + s0 * s0) * (start[i] - mu);
                double expected = s1 / s0 * start[i] + (1 - s1 / s0) * d;
                assertEquals(expected, x[i], 1e-5 * Math.max(1, Math.abs(expected)), info.name() + " value " + i);
            }
        }
    }

    /** ComfyUI's sample_unipc replaces a final sigma below 0.001 by 0.001: a run onto 0 ends at sigma = 0.001. */
    @Test
    void finalSigmaZeroBecomesOneThousandth() {
        var g = GaussianMixture.gaussian(new double[] {0.3, -1}, 0.5, 0.002, 80);
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 14.6, 32, 5);
        double[] toZero = SamplerRuns.karrasWithZero(0.03, 14.6, 9);
        double[] toThousandth = toZero.clone();
        toThousandth[toThousandth.length - 1] = 0.001;
        for (SamplerInfo info : List.of(UniPc.INFO, UniPcBh2.INFO)) {
            float[] a = SamplerRuns.run(info, Map.of(), g.model("g"), start, toZero, 0).x();
            float[] b = SamplerRuns.run(info, Map.of(), g.model("g"), start, toThousandth, 0).x();
            assertArrayEquals(b, a, info.name());
        }
    }
}
