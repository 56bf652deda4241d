package dev.stepwise.onnx.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stepwise.core.io.Npy;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The two weightings on small hand-computed tensors (width 2), and against PyTorch on random ones
 * (tools/fixtures/make_prompt_weighting.py).
 */
class PromptWeightingTest {
    static final int W = 2;

    /** Two windows; every value 1 except window 0's token 1, which is (3, 5). */
    static float[] hidden() {
        float[] z = new float[2 * 77 * W];
        Arrays.fill(z, 1f);
        z[1 * W] = 3f;
        z[1 * W + 1] = 5f;
        return z;
    }

    /** Window 0: token 1 at 2, token 2 at 0.5; window 1 all 1. */
    static TokenWindows windows() {
        int[] ids = new int[2 * 77];
        float[] weights = new float[2 * 77];
        Arrays.fill(weights, 1f);
        weights[1] = 2f;
        weights[2] = 0.5f;
        return new TokenWindows(ids, weights, new int[] {2, 0}, 77);
    }

    @Test
    void a1111ScalesThenRestoresEachWindowsMean() {
        float[] z = hidden();
        float[] out = PromptWeighting.a1111(z, windows(), W);
        // Window 0 before: 152 ones + 3 + 5 = 160 over 154 values. Weighted: token 1 (6, 10), token 2 (0.5, 0.5),
        // 150 ones: 150 + 16 + 1 = 167. Scale 160/167.
        double s = 160.0 / 167.0;
        assertEquals(6 * s, out[2], 1e-6);
        assertEquals(10 * s, out[3], 1e-6);
        assertEquals(0.5 * s, out[4], 1e-6);
        assertEquals(0.5 * s, out[5], 1e-6);
        assertEquals(s, out[0], 1e-6);
        assertEquals(s, out[153], 1e-6);
        double mean = 0;
        for (int i = 0; i < 154; i++) {
            mean += out[i];
        }
        assertEquals(160.0 / 154, mean / 154, 1e-6);
        // Window 1 is unweighted: untouched (its own mean, not the tensor's).
        assertArrayEquals(Arrays.copyOfRange(z, 154, 308), Arrays.copyOfRange(out, 154, 308));
        assertArrayEquals(hidden(), z, "the input is not changed");
    }

    @Test
    void comfyuiInterpolatesFromTheEmptyPrompt() {
        float[] empty = new float[77 * W];
        Arrays.fill(empty, 0.5f);
        float[] out = PromptWeighting.comfyui(hidden(), windows(), W, empty);
        // (3 - 0.5) * 2 + 0.5 = 5.5, (5 - 0.5) * 2 + 0.5 = 9.5, (1 - 0.5) * 0.5 + 0.5 = 0.75; weight 1: as is.
        assertEquals(5.5f, out[2]);
        assertEquals(9.5f, out[3]);
        assertEquals(0.75f, out[4]);
        assertEquals(0.75f, out[5]);
        float[] expected = hidden();
        System.arraycopy(new float[] {5.5f, 9.5f, 0.75f, 0.75f}, 0, expected, 2, 4);
        assertArrayEquals(expected, out);
    }

    @Test
    void matchTorch() throws IOException {
        float[] z = fixture("z");
        float[] empty = fixture("z_empty");
        float[] weights = fixture("weights");  // float64 in the file, read as float as the UIs hand them to torch
        TokenWindows windows = new TokenWindows(new int[2 * 77], weights, new int[] {8, 0}, 77);
        int width = 8;
        float[] comfy = PromptWeighting.comfyui(z, windows, width, empty);
        // The same float operations in the same order: bit for bit.
        assertArrayEquals(fixture("comfyui"), comfy);
        float[] a1111 = PromptWeighting.a1111(z, windows, width);
        float[] expected = fixture("a1111");
        // torch sums the means in float (its own order): the results are at most 4 float ulps apart here.
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], a1111[i], 1e-6f * Math.max(1f, Math.abs(expected[i])), "index " + i);
        }
        assertArrayEquals(Arrays.copyOfRange(z, 77 * width, 2 * 77 * width),
                Arrays.copyOfRange(a1111, 77 * width, 2 * 77 * width), "the unweighted window is unchanged");
    }

    private static float[] fixture(String name) throws IOException {
        try (InputStream in = PromptWeightingTest.class.getResourceAsStream("/fixtures/prompt-weighting/" + name + ".npy")) {
            return Npy.read(in, name + ".npy").data();
        }
    }

    @Test
    void unweightedPromptsNeedNoEmptyEncoding() {
        TokenWindows plain = new TokenWindows(new int[77], filled(77, 1f), new int[] {0}, 0);
        float[] z = new float[77 * W];
        Arrays.fill(z, 2f);
        assertArrayEquals(z, PromptWeighting.comfyui(z, plain, W, null));
        assertArrayEquals(z, PromptWeighting.a1111(z, plain, W));
        assertEquals(false, PromptProfile.COMFYUI.needsEmptyEncoding(plain));
        assertEquals(true, PromptProfile.COMFYUI.needsEmptyEncoding(windows()));
        assertEquals(false, PromptProfile.A1111.needsEmptyEncoding(windows()));
    }

    @Test
    void badShapes() {
        assertThrows(IllegalArgumentException.class, () -> PromptWeighting.a1111(new float[10], windows(), W));
        assertThrows(IllegalArgumentException.class, () -> PromptWeighting.comfyui(hidden(), windows(), W, new float[3]));
        TokenWindows zeroMean = new TokenWindows(new int[77], weightsAt1(-1f), new int[] {1}, 1);
        // Token 1 (1, 1) at -1 and token 2 (1, 1) at 1: the weighted window sums to 0.
        float[] y = new float[77 * W];
        y[2] = 1f;
        y[3] = 1f;
        y[4] = 1f;
        y[5] = 1f;
        assertThrows(ArithmeticException.class, () -> PromptWeighting.a1111(y, zeroMean, W));
    }

    static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    static float[] weightsAt1(float w) {
        float[] a = filled(77, 1f);
        a[1] = w;
        return a;
    }
}
