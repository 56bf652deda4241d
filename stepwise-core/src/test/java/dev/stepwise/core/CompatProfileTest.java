package dev.stepwise.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.model.NearestTimestepSampling;
import dev.stepwise.core.model.Prediction;
import dev.stepwise.core.noise.BrownianTreeNoise;
import dev.stepwise.core.noise.NoiseSampler;
import dev.stepwise.core.noise.PhiloxGenerator;
import dev.stepwise.core.noise.RandnSource;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.core.schedule.Sigmas;
import dev.stepwise.core.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The two UIs' conventions as {@link Stepwise#sample} applies them, checked against what each UI's rule says. */
class CompatProfileTest {
    private static final double STD = 0.5;
    private static final double[] MEAN = {1, -1, 0.25};
    private static final Model MODEL = GaussianMixture.gaussian(MEAN, STD, 0.002, 80).model("gauss");

    private static SampleRequest.Builder request(String sampler, long seed, int batch) {
        return SampleRequest.builder(MODEL).sampler(sampler).scheduler("karras").steps(6).seed(seed).batch(batch);
    }

    private static float[] row(float[] all, int i, int size) {
        return Arrays.copyOfRange(all, i * size, (i + 1) * size);
    }

    /**
     * A1111 seeds image i of a batch with seed + i and keeps its generator for its step noise, so image i of a batch
     * is the batch-1 run of seed + i (the mixture's denoiser treats rows independently); ComfyUI's batch is one
     * generator, so its second image is not.
     */
    @Test
    void a1111ImagesOfABatchAreTheRunsOfTheirOwnSeeds() {
        int n = MODEL.sampleSize();
        for (RandnSource rng : RandnSource.values()) {
            for (String sampler : new String[] {"euler_ancestral", "dpmpp_2m_sde", "euler"}) {
                CompatProfile a = CompatProfile.A1111.withRng(rng);
                float[] batch = Stepwise.sample(request(sampler, 40, 3).compat(a).build()).samples().data();
                for (int i = 0; i < 3; i++) {
                    float[] alone = Stepwise.sample(request(sampler, 40 + i, 1).compat(a).build()).samples().data();
                    assertArrayEquals(alone, row(batch, i, n), sampler + " " + rng + " image " + i);
                }
                float[] comfy = Stepwise.sample(request(sampler, 40, 3).rng(rng).build()).samples().data();
                float[] second = Stepwise.sample(request(sampler, 41, 1).rng(rng).build()).samples().data();
                assertFalse(Arrays.equals(second, row(comfy, 1, n)), sampler + " " + rng);
            }
        }
    }

    /** A1111's step noise is the image generator's second call; ComfyUI's a second generator seeded seed + 1. */
    @Test
    void stepNoiseFollowsEachUisGenerators() {
        int n = MODEL.sampleSize();
        // Two euler_ancestral steps in closed form: the scaled first noise, then the first step adds sigma_up times
        // the step noise, and the last step (to 0) is the denoised value.
        double[] sigmas = {80, 1, 0};
        for (CompatProfile p : new CompatProfile[] {CompatProfile.COMFYUI, CompatProfile.A1111}) {
            float[] first = new float[n], step = new float[n];
            if (p == CompatProfile.A1111) {
                PhiloxGenerator g = new PhiloxGenerator(5);
                g.randn(first);
                g.randn(step);
            } else {
                new TorchGenerator(5).randn(first);
                new TorchGenerator(6).randn(step);
            }
            float[] got = Stepwise.sample(SampleRequest.builder(MODEL).sampler("euler_ancestral").sigmas(sigmas).seed(5)
                    .compat(p).build()).samples().data();
            double s0 = p == CompatProfile.A1111 ? 80 : Math.sqrt(1 + 80.0 * 80.0);
            for (int k = 0; k < n; k++) {
                // Step 1 (80 -> 1): sigma_up = sqrt(1 * (80^2 - 1) / 80^2), sigma_down = sqrt(1 - sigma_up^2).
                double x = s0 * first[k];
                double up = Math.sqrt((80.0 * 80.0 - 1) / (80.0 * 80.0)), down = Math.sqrt(1 - up * up);
                x = x + (down - 80) * (x - denoise(x, MEAN[k], 80)) / 80 + up * step[k];
                // Step 2 (1 -> 0): sigma_up = 0, x = denoised.
                x = denoise(x, MEAN[k], 1);
                assertEquals(x, got[k], 1e-4 * Math.max(1, Math.abs(x)), p.name() + " value " + k);
            }
        }
    }

    /** E[x0 | x] for N(mean, STD^2) data seen at noise level sigma. */
    private static double denoise(double x, double mean, double sigma) {
        double v = STD * STD;
        return mean + v / (v + sigma * sigma) * (x - mean);
    }

    /**
     * A1111 scales the first noise by sigma_0, ComfyUI by sqrt(1 + sigma_0^2) at sigma_max: one euler step to 0 gives
     * the denoised value of that starting point.
     */
    @Test
    void firstNoiseIsScaledAsEachUiDoes() {
        // sigma_max 1, where sqrt(2) and 1 differ enough to show in the denoised value.
        Model small = GaussianMixture.gaussian(MEAN, STD, 0.002, 1).model("gauss");
        int n = small.sampleSize();
        float[] noise = {0.3f, -1.2f, 2.0f};
        for (CompatProfile p : new CompatProfile[] {CompatProfile.COMFYUI, CompatProfile.A1111}) {
            float[] got = Stepwise.sample(SampleRequest.builder(small).sampler("euler").sigmas(1, 0)
                    .initialNoise(Tensor.wrap(noise.clone(), 1, n)).compat(p).build()).samples().data();
            double scale = p == CompatProfile.A1111 ? 1 : Math.sqrt(2);
            for (int k = 0; k < n; k++) {
                double expected = denoise(scale * noise[k], MEAN[k], 1);
                assertEquals(expected, got[k], 1e-5, p.name() + " value " + k);
            }
        }
    }

    /** A1111's img2img at strength 0.6 and 20 steps walks sigmas[7:] of the 20-step schedule: t_enc = 12, 13 steps. */
    @Test
    void a1111DenoiseRuleIsStepsTimesStrength() {
        ModelSampling sd = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
        var karras = Schedulers.get("karras").create(java.util.Map.of());
        double[] full = Sigmas.forRun(karras, sd, 20, 1, false);
        double[] a = Sigmas.forRunA1111(karras, sd, 20, 0.6, false);
        assertArrayEquals(Arrays.copyOfRange(full, 7, 21), a);
        // ComfyUI: the last 21 of int(20 / 0.6) = 33 steps.
        double[] c = Sigmas.forRun(karras, sd, 20, 0.6, false);
        assertEquals(21, c.length);
        assertArrayEquals(Arrays.copyOfRange(Sigmas.forRun(karras, sd, 33, 1, false), 13, 34), c);
        // Strength 1 is the whole schedule; 0.999 caps it: int(0.999 * 20) = 19, sigmas[0:].
        assertArrayEquals(full, Sigmas.forRunA1111(karras, sd, 20, 1, false));
        assertArrayEquals(full, Sigmas.forRunA1111(karras, sd, 20, 0.9995, false));
        // Strength 0.04: t_enc = 0, one step from sigmas[19].
        assertArrayEquals(Arrays.copyOfRange(full, 19, 21), Sigmas.forRunA1111(karras, sd, 20, 0.04, false));
    }

    /**
     * A1111's img2img hands the SDE samplers a Brownian tree over the whole 6-step schedule's range while the run walks
     * its tail; ComfyUI's tree spans the list it walks. Both checked against trees built by hand over those ranges.
     */
    @Test
    void a1111Img2imgBrownianTreeSpansTheWholeSchedule() {
        int n = MODEL.sampleSize();
        SamplerInfo info = Samplers.get("dpmpp_sde");
        var karras = Schedulers.get("karras").create(java.util.Map.of());
        double[] full = Sigmas.forRun(karras, MODEL.sampling(), 6, 1, false);
        float[] latent = {0.5f, -0.5f, 0.1f};
        for (CompatProfile p : new CompatProfile[] {CompatProfile.A1111, CompatProfile.COMFYUI}) {
            SampleRequest r = request("dpmpp_sde", 9, 1).compat(p).denoise(0.5).latentImage(Tensor.wrap(latent, 1, n))
                    .build();
            double[] run = Stepwise.sigmasFor(r, info);
            assertTrue(run[0] < full[0], "the run starts below sigma_max");
            double[] span = p == CompatProfile.A1111 ? full : run, otherSpan = span == full ? run : full;
            NoiseSampler got = Stepwise.stepNoise(r, info, run, Stepwise.generators(p, 9, 1), n);
            // Both lists end ..., sigma_min-ish, 0: the tree's range is [second to last, first].
            NoiseSampler expected = new BrownianTreeNoise(9, span[span.length - 2], span[0], n);
            NoiseSampler other = new BrownianTreeNoise(9, otherSpan[otherSpan.length - 2], otherSpan[0], n);
            float[] a = new float[n], b = new float[n], c = new float[n];
            got.sample(run[0], run[1], a);
            expected.sample(run[0], run[1], b);
            other.sample(run[0], run[1], c);
            assertArrayEquals(b, a, p.name());
            assertFalse(Arrays.equals(b, c), p.name() + ": the two ranges give different noise");
        }
    }

    @Test
    void timestepRuleWrapsOnlyDiscreteModels() {
        DiscreteVpSampling sd = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
        ModelSampling nearest = CompatProfile.TimestepRule.NEAREST.apply(sd);
        assertInstanceOf(NearestTimestepSampling.class, nearest);
        assertSame(sd, CompatProfile.TimestepRule.INTERPOLATED.apply(nearest));
        assertSame(sd, CompatProfile.TimestepRule.INTERPOLATED.apply(sd));
        // sigma between two training steps: nearest gives an integer, interpolated a fraction.
        double sigma = Math.sqrt(sd.sigma(500) * sd.sigma(501));
        assertEquals(Math.rint(nearest.timestep(sigma)), nearest.timestep(sigma), 0);
        assertTrue(sd.timestep(sigma) > 500 && sd.timestep(sigma) < 501, "" + sd.timestep(sigma));
        ModelSampling ve = MODEL.sampling();
        assertSame(ve, CompatProfile.TimestepRule.NEAREST.apply(ve));
    }

    @Test
    void namesParseAndTheRngOverrideKeepsTheRest() {
        assertSame(CompatProfile.A1111, CompatProfile.parse(" A1111 "));
        assertSame(CompatProfile.COMFYUI, CompatProfile.parse("comfyui"));
        assertEquals(RandnSource.NV, CompatProfile.A1111.rng());
        assertEquals(RandnSource.CPU, CompatProfile.COMFYUI.rng());
        CompatProfile cpu = CompatProfile.A1111.withRng(RandnSource.CPU);
        assertEquals(CompatProfile.NoiseLayout.PER_IMAGE, cpu.noise());
        assertFalse(cpu.defaultRng());
        assertTrue(CompatProfile.A1111.defaultRng());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CompatProfile.parse("forge"));
        assertEquals("compat 'forge' is not known; use comfyui (ComfyUI's conventions, the default) or a1111"
                + " (AUTOMATIC1111's)", e.getMessage());
        assertEquals(RandnSource.NV, SampleRequest.builder(MODEL).rng(RandnSource.NV).compat(CompatProfile.COMFYUI)
                .build().rngOrCpu());
    }
}
