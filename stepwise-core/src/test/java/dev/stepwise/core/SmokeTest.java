package dev.stepwise.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.GaussianMixture;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void eulerOnAGaussianLandsNearItsMean() {
        var g = GaussianMixture.gaussian(new double[] {1, -1}, 0.5, 0.002, 80);
        SampleResult r = Stepwise.sample(SampleRequest.builder(g.model("g"))
                .sampler("euler").scheduler("karras").steps(30).seed(1).batch(4000).build());
        double m0 = 0, m1 = 0;
        float[] d = r.samples().data();
        for (int i = 0; i < 4000; i++) {
            m0 += d[2 * i];
            m1 += d[2 * i + 1];
        }
        // Sample mean of 4000 draws of std 0.5: standard error 0.008; 5 s.e. plus the solver's bias.
        assertEquals(1, m0 / 4000, 0.05);
        assertEquals(-1, m1 / 4000, 0.05);
        assertEquals(30, r.calls().nfe());
        assertTrue(r.elapsed().toNanos() > 0);
    }
}
