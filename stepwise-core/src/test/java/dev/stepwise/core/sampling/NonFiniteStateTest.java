package dev.stepwise.core.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.guidance.ClassifierFreeGuidance;
import dev.stepwise.core.guidance.Conditions;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Denoiser;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.noise.NoiseSampler;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.tensor.Tensor;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The sampling context's one check for a state that went NaN or infinite: the run stops with the step and sigma
 * named, whichever sampler runs, instead of finishing with a NaN (or, as an image, all-black) result.
 */
class NonFiniteStateTest {
    private static final double[] SIGMAS = {14, 10, 7, 5, 3.2, 2, 1, 0.5, 0};

    /** A Gaussian's exact denoiser, but NaN from the given model call on (1-based). */
    private static Model nanFromCall(int call, AtomicInteger calls) {
        GaussianMixture g = GaussianMixture.gaussian(new double[] {1, -1}, 0.5, 0.002, 80);
        Denoiser d = (x, sigma, cond, out) -> {
            g.denoise(x, sigma, cond, out);
            if (calls.incrementAndGet() >= call) {
                Arrays.fill(out.data(), Float.NaN);
            }
        };
        return new Model("nan", d, g.sampling(), new int[] {2});
    }

    @Test
    void aNaNPredictionStopsTheRunNamingTheStepAndSigma() {
        // euler makes one call per step: the 5th call is step 5, at sigma 3.2.
        AtomicInteger calls = new AtomicInteger();
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> Stepwise.sample(
                SampleRequest.builder(nanFromCall(5, calls)).sampler("euler").sigmas(SIGMAS).batch(3).build()));
        assertEquals("the model's prediction (denoised) became non-finite (NaN or infinity) at step 5 (sigma 3.2)",
                e.getMessage());
        assertEquals(5, e.step());
        assertEquals(3.2, e.sigma());
        assertEquals(5, calls.get(), "the run stops at the call that went non-finite");
    }

    @Test
    void everySamplerGetsTheCheck() {
        for (SamplerInfo info : Samplers.all()) {
            AtomicInteger calls = new AtomicInteger();
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> Stepwise.sample(
                    SampleRequest.builder(nanFromCall(4, calls)).sampler(info.name()).sigmas(SIGMAS).batch(2).build()),
                    info.name());
            assertTrue(e.getMessage().contains("at step ") && e.getMessage().contains("(sigma "), e.getMessage());
            assertTrue(e.step() >= 1 && e.step() <= 4, info.name() + ": step " + e.step());
            assertEquals(4, calls.get(), info.name() + ": stopped at the first NaN prediction");
        }
    }

    @Test
    void aNonFiniteSampleIsNamedAtTheEndAndAtTheNextModelCall() {
        GaussianMixture g = GaussianMixture.gaussian(new double[] {0, 0}, 1, 0.002, 80);
        SamplingContext ctx = new SamplingContext(g.model("g"), new ClassifierFreeGuidance(1),
                Conditions.of(Conditioning.NONE, Conditioning.NONE, 1), NoiseSampler.sequential(new TorchGenerator(1)),
                null, 1);
        float[] x = {1, 2}, out = new float[2];
        ctx.denoise(x, 14, out);
        ctx.stepDone(0, SIGMAS, x, out);
        ctx.denoise(x, 10, out);
        ctx.stepDone(1, SIGMAS, x, out);
        ctx.requireFiniteResult(x);
        x[1] = Float.POSITIVE_INFINITY;
        // Left so by the update after step 2's model call (at sigma 10), when that was the run's last step.
        NonFiniteException atEnd = assertThrows(NonFiniteException.class, () -> ctx.requireFiniteResult(x));
        assertEquals("the sample became non-finite (NaN or infinity) at step 2 (sigma 10)", atEnd.getMessage());
        // Or found going into step 3's model call.
        NonFiniteException atCall = assertThrows(NonFiniteException.class, () -> ctx.denoise(x, 7, out));
        assertEquals("the sample became non-finite (NaN or infinity) at step 3 (sigma 7)", atCall.getMessage());
        assertEquals(2, ctx.calls().nfe(), "the refused call is not counted");
    }

    @Test
    void nonFiniteStartingNoiseIsRefused() {
        GaussianMixture g = GaussianMixture.gaussian(new double[] {0, 0}, 1, 0.002, 80);
        Tensor noise = Tensor.wrap(new float[] {0, 1, Float.NaN, 0}, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Stepwise.sample(
                SampleRequest.builder(g.model("g")).batch(2).initialNoise(noise).build()));
        assertEquals("initial noise value NaN at index 2 is not allowed; starting noise must be finite (standard-normal"
                + " values)", e.getMessage());
    }
}
