package dev.stepwise.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.io.NpyFixtures;
import org.junit.jupiter.api.Test;

/**
 * Rectified-flow parameterisation against its formulas: SD3's shift sigma = s t / (1 + (s - 1) t)
 * (Esser et al. 2024, eq. 23), Flux's sigma = e^mu / (e^mu + 1/t - 1), the network timestep sigma * 1000
 * (SD3) or sigma (Flux), and x = (1 - sigma) x0 + sigma n; tables against ComfyUI's buffers made with
 * torch (tools/fixtures/make_torch_noise.py).
 */
class FlowSamplingTest {

    static double sd3Shift(double s, double t) {
        return s * t / (1 + (s - 1) * t);
    }

    @Test
    void sd3ShiftFormulaAndTimestep() {
        for (double shift : new double[] {1.0, 3.0, 6.0, 0.5}) {
            FlowSampling f = FlowSampling.sd3(shift);
            assertEquals(1.0, f.sigmaMax(), 0.0, "t = 1 maps to sigma 1 for every shift");
            assertEquals((float) sd3Shift(shift, 0.001), f.sigmaMin(), 0.0);
            for (double t = 0; t <= 1; t += 0.01) {
                assertEquals(sd3Shift(shift, t), f.sigma(1000 * t), 1e-15, "shift " + shift + " t " + t);
            }
            for (double s = 0; s <= 1; s += 0.01) {
                assertEquals(1000 * s, f.timestep(s), 1e-12);
            }
            assertEquals(Prediction.FLOW, f.prediction());
            assertTrue(f.isFlow());
            assertEquals(1.0, f.inputScale(0.7), 0.0);
            assertEquals(shift, f.shift(), 0.0);
        }
        // shift 1 is the identity; shift 3 moves the midpoint to 0.75.
        assertEquals(0.5, FlowSampling.sd3(1).sigma(500), 1e-15);
        assertEquals(0.75, FlowSampling.sd3(3).sigma(500), 1e-15);
    }

    /**
     * As in ComfyUI, sigma(timestep) shifts the unshifted time timestep / 1000, so it is not the inverse
     * of timestep(sigma) = 1000 sigma unless shift = 1; schedulers that walk timesteps (normal,
     * sgm_uniform) depend on exactly this.
     */
    @Test
    void sigmaOfTimestepAppliesTheShiftOnceMore() {
        FlowSampling f = FlowSampling.sd3(3);
        for (double s = 0.05; s < 1; s += 0.05) {
            assertEquals(sd3Shift(3, s), f.sigma(f.timestep(s)), 1e-15);
        }
        FlowSampling id = FlowSampling.sd3(1);
        assertEquals(0.3, id.sigma(id.timestep(0.3)), 1e-15);
    }

    @Test
    void fluxShiftFormulaAndTimestep() {
        double mu = 1.15;
        FlowSampling f = FlowSampling.flux(mu);
        for (double t = 0.01; t <= 1; t += 0.01) {
            double expected = Math.exp(mu) / (Math.exp(mu) + 1 / t - 1);
            assertEquals(expected, f.sigma(t), 1e-15, "t " + t);
        }
        assertEquals(0, f.sigma(0), 0.0);
        assertEquals(1.0, f.sigmaMax(), 0.0);
        assertEquals(0.42, f.timestep(0.42), 0.0);
        // mu = 0 is the identity: e^0 / (1 + 1/t - 1) = t.
        assertEquals(0.3, FlowSampling.flux(0).sigma(0.3), 1e-15);
        assertEquals(FlowSampling.Shift.FLUX, f.kind());
        assertEquals(10000, f.sigmaTable().length);
    }

    /** ComfyUI forms t and the shift in float32; ours in float64 rounded once, so within a few ulps. */
    @Test
    void tablesMatchComfyUi() {
        compare(NpyFixtures.floats("comfy_flow_sigmas_sd3_shift3.npy"), FlowSampling.sd3(3).sigmaTable());
        compare(NpyFixtures.floats("comfy_flow_sigmas_flux_mu1.15.npy"), FlowSampling.flux(1.15).sigmaTable());
    }

    private static void compare(float[] comfy, double[] ours) {
        assertEquals(comfy.length, ours.length);
        for (int i = 0; i < comfy.length; i++) {
            assertEquals(comfy[i], ours[i], 4 * Math.ulp(comfy[i]), "sigma " + i);
            if (i > 0) {
                assertTrue(ours[i] > ours[i - 1], "increasing at " + i);
            }
        }
    }

    @Test
    void noiseScalingInterpolatesBetweenDataAndNoise() {
        FlowSampling f = FlowSampling.sd3(3);
        float[] noise = {1, -2, 0.5f}, latent = {4, 0, -1}, out = new float[3];
        double sigma = 0.25;
        f.noiseScaling(sigma, noise, latent, out);
        for (int i = 0; i < 3; i++) {
            assertEquals(sigma * noise[i] + (1 - sigma) * latent[i], out[i], 1e-6);
        }
        f.noiseScaling(1.0, noise, latent, out);
        assertArrayEquals(noise, out, 0f, "sigma 1 is pure noise");
        f.noiseScaling(sigma, noise, null, out);
        for (int i = 0; i < 3; i++) {
            assertEquals(sigma * noise[i], out[i], 1e-6, "text-to-image: no latent");
        }
        // inverse noise scaling undoes the (1 - sigma) factor on the data part.
        float[] x = {(float) (0.75 * 4), (float) (0.75 * -2)};
        f.inverseNoiseScaling(0.25, x);
        assertArrayEquals(new float[] {4, -2}, x, 1e-6f);
        float[] y = {3, 5};
        f.inverseNoiseScaling(0, y);
        assertArrayEquals(new float[] {3, 5}, y, 0f);
    }

    /** VP models start from x = sigma n + latent in VE form (ComfyUI EPS.noise_scaling). */
    @Test
    void vpNoiseScalingIsVeForm() {
        DiscreteVpSampling sd = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
        float[] noise = {1, -2}, latent = {0.5f, 3}, out = new float[2];
        sd.noiseScaling(14.6, noise, latent, out);
        assertEquals((float) 14.6 * 1 + 0.5f, out[0], 1e-5);
        assertEquals((float) 14.6 * -2 + 3, out[1], 1e-5);
    }

    /**
     * ComfyUI's KSampler scales the first noise by sqrt(1 + sigma^2) when the run starts at sigma_max
     * (EPS.noise_scaling with max_denoise); flow models (CONST) do not.
     */
    @Test
    void maxDenoiseScalesVeNoiseBySqrtOnePlusSigmaSquared() {
        DiscreteVpSampling sd = DiscreteVpSampling.stableDiffusion(Prediction.EPS);
        double max = sd.sigmaMax();
        assertTrue(sd.isMaxDenoise(max));
        assertTrue(sd.isMaxDenoise(max * (1 + 9e-6)));
        assertTrue(sd.isMaxDenoise(max * (1 - 9e-6)));
        assertTrue(sd.isMaxDenoise(100));
        assertTrue(!sd.isMaxDenoise(max * (1 - 2e-5)));
        assertTrue(!sd.isMaxDenoise(1.0));
        float[] noise = {1, -2}, latent = {0.5f, 3}, out = new float[2];
        sd.noiseScaling(max, noise, latent, true, out);
        double scale = Math.sqrt(1 + max * max);
        assertEquals(14.6488, scale, 1e-4);
        assertEquals(scale * 1 + 0.5, out[0], 1e-5);
        assertEquals(scale * -2 + 3, out[1], 1e-5);
        sd.noiseScaling(max, noise, latent, false, out);
        assertEquals(max * 1 + 0.5, out[0], 1e-5);
        FlowSampling f = FlowSampling.sd3(3);
        assertTrue(f.isMaxDenoise(1.0));
        f.noiseScaling(1.0, noise, latent, true, out);
        assertArrayEquals(noise, out, 0f, "flow ignores max_denoise");
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> FlowSampling.sd3(0));
        assertThrows(IllegalArgumentException.class, () -> FlowSampling.sd3(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> FlowSampling.sd3(Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> FlowSampling.flux(Double.NaN));
        // Flux's mu is an exponent: negative values (small images) are valid and shift towards less noise.
        assertTrue(FlowSampling.flux(-0.5).sigma(0.5) < 0.5);
    }
}
