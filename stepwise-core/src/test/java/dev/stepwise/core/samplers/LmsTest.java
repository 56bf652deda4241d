package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.analytic.GaussianMixture;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LmsTest {

    /** The order parameter is the order of accuracy (order 4 is the registry default, measured by DeterministicOrderTest). */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void orderParameterIsTheMeasuredOrder(int order) {
        DeterministicOrderTest.assertOrder(Lms.INFO, Map.of("order", order), order);
    }

    /**
     * The coefficients integrate every polynomial of degree < k over [sigma_i, sigma_{i+1}] exactly: applied to
     * p(sigma_{i-j}) they give the integral of p, for p = sigma^m, m < k, on uneven nodes spanning 80 to 0.05.
     */
    @Test
    void coefficientsIntegratePolynomialsExactly() {
        double[] nodes = {1.3, 2.9, 7.5, 80};                     // sigma_i, sigma_{i-1}, ... (decreasing in time)
        double end = 0.05;
        for (int k = 1; k <= 4; k++) {
            double[] used = java.util.Arrays.copyOf(nodes, k);
            for (int m = 0; m < k; m++) {
                double sum = 0;
                for (int j = 0; j < k; j++) {
                    sum += Lms.lagrangeIntegral(used, j, end) * Math.pow(used[j], m);
                }
                double exact = (Math.pow(end, m + 1) - Math.pow(used[0], m + 1)) / (m + 1);
                assertEquals(exact, sum, 1e-12 * Math.max(1, Math.abs(exact)), "k=" + k + " m=" + m);
            }
        }
    }

    @Test
    void orderOutsideOneToFourIsRejected() {
        for (int bad : new int[] {0, 5}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Samplers.get("lms").create(Map.of("order", bad)));
            assertTrue(e.getMessage().contains("order") && e.getMessage().contains("1..4"), e.getMessage());
            var g = GaussianMixture.gaussian(new double[] {0, 0}, 1, 0.002, 80);
            IllegalArgumentException viaRun = assertThrows(IllegalArgumentException.class, () -> Stepwise.sample(
                    SampleRequest.builder(g.model("g")).sampler("lms").samplerParameter("order", bad).steps(3).build()));
            assertTrue(viaRun.getMessage().contains("order") && viaRun.getMessage().contains("1..4"), viaRun.getMessage());
        }
        IllegalArgumentException direct = assertThrows(IllegalArgumentException.class, () -> new Lms(5));
        assertTrue(direct.getMessage().contains("order") && direct.getMessage().contains("1..4"), direct.getMessage());
    }
}
