package dev.stepwise.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.noise.PhiloxGenerator;
import dev.stepwise.core.noise.RandnSource;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A run's noise comes from the request's {@link RandnSource}, through {@link Stepwise#startingNoise}. */
class RandnSourceRunTest {
    private static final Model MODEL = GaussianMixture.gaussian(new double[] {1, -1}, 0.5, 0.002, 80).model("gauss");

    private static SampleRequest.Builder request(String sampler) {
        return SampleRequest.builder(MODEL).sampler(sampler).scheduler("karras").steps(6).seed(11).batch(8);
    }

    /** The seed's noise is the generator's first call: the run equals one given that noise explicitly. */
    @Test
    void startingNoiseIsTheSourcesFirstCall() {
        for (RandnSource rng : RandnSource.values()) {
            float[] noise = new float[8 * MODEL.sampleSize()];
            (rng == RandnSource.NV ? new PhiloxGenerator(11) : new TorchGenerator(11)).randn(noise);
            float[] viaSeed = Stepwise.sample(request("euler").rng(rng).build()).samples().data();
            float[] viaNoise = Stepwise.sample(request("euler").rng(rng)
                    .initialNoise(Tensor.wrap(noise, 8, MODEL.sampleSize())).build()).samples().data();
            assertArrayEquals(viaNoise, viaSeed, rng.name());
            float[] drawn = new float[noise.length];
            Stepwise.startingNoise(rng, 11, drawn);
            assertArrayEquals(noise, drawn, rng.name());
        }
    }

    /** CPU is the default (ComfyUI's noise); NV gives another run from the same seed. */
    @Test
    void cpuIsTheDefaultAndNvDiffers() {
        float[] byDefault = Stepwise.sample(request("euler_ancestral").build()).samples().data();
        float[] cpu = Stepwise.sample(request("euler_ancestral").rng(RandnSource.CPU).build()).samples().data();
        float[] nv = Stepwise.sample(request("euler_ancestral").rng(RandnSource.NV).build()).samples().data();
        assertArrayEquals(byDefault, cpu);
        assertFalse(Arrays.equals(cpu, nv));
    }

    @Test
    void namesParseAndUnknownOnesAreRefusedInOneLine() {
        assertEquals(RandnSource.NV, RandnSource.parse("NV"));
        assertEquals(RandnSource.CPU, RandnSource.parse(" cpu "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RandnSource.parse("gpu"));
        assertTrue(e.getMessage().startsWith("rng 'gpu' is not known; use cpu"), e.getMessage());
    }
}
