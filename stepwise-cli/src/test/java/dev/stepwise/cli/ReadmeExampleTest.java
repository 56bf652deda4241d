package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Conditioning;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Java example of README.md, verbatim between the markers, so that the README cannot go stale. */
class ReadmeExampleTest {

    @Test
    void readmeJavaExample() {
        // README example begins
        var mixture = new GaussianMixture(2, List.of(
                new GaussianMixture.Component(0.5, new double[] {-2, 0}, 0.3, 0),
                new GaussianMixture.Component(0.5, new double[] {2, 0}, 0.3, 1)), 0.002, 80);
        SampleResult result = Stepwise.sample(SampleRequest.builder(mixture.model("two blobs"))
                .sampler("euler_ancestral").samplerParameter("eta", 0.5)
                .scheduler("karras").steps(20)
                .prompt(Conditioning.label(1, mixture.labelCount())).cfg(1.5)
                .seed(42).batch(8).build());
        float[] xy = result.samples().data();          // shape [8, 2], row-major
        System.out.println(result.calls().nfe() + " model calls, first sample " + xy[0] + ", " + xy[1]);
        // README example ends

        assertArrayEquals(new int[] {8, 2}, result.samples().shape());
        assertEquals(20, result.calls().nfe());
        assertEquals(20, result.calls().uncondPasses(), "cfg 1.5 runs the unconditional branch too");
    }
}
