package dev.stepwise.core.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stepwise.core.io.NpyFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PhiloxGenerator against Random123's known answers for the block function and against an independent NumPy
 * implementation of A1111's rng_philox.py (tools/fixtures/make_philox_noise.py), bit for bit.
 */
class PhiloxGeneratorTest {
    /** Random123 examples/kat_vectors, "philox4x32 10": counter, key, output (Salmon et al. 2011). */
    @Test
    void blockFunctionGivesRandom123sKnownAnswers() {
        int[][][] kat = {
            {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
            {{-1, -1, -1, -1}, {-1, -1}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
            {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
                {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
        };
        for (int[][] v : kat) {
            int[] out = new int[4];
            PhiloxGenerator.philox4x32x10(v[0], v[1], out);
            assertArrayEquals(v[2], out);
        }
    }

    /** Seeds as Python ints: one above 2^32 (both key words used), one above 2^63 (a negative Java long). */
    @ParameterizedTest
    @ValueSource(strings = {"0", "1", "42", "4294967301", "16045690984503098046"})
    void randnMatchesA1111sGeneratorBitForBit(String seed) {
        for (int n : new int[] {1, 2, 15, 16, 17, 100, 1000, 4 * 64 * 64}) {
            if (n > 1000 && !seed.equals("0") && !seed.equals("42")) {
                continue;
            }
            float[] expected = NpyFixtures.floats("philox_s" + seed + "_n" + n + ".npy");
            float[] got = new float[n];
            new PhiloxGenerator(Long.parseUnsignedLong(seed)).randn(got);
            TorchGeneratorTest.assertBits(expected, got, "seed " + seed + " n " + n);
        }
    }

    /** Each call is the next offset: two calls on one generator are Generator.randn twice. */
    @ParameterizedTest
    @ValueSource(strings = {"0", "1", "42", "4294967301", "16045690984503098046"})
    void consecutiveCallsAdvanceTheOffset(String seed) {
        float[] expected = NpyFixtures.floats("philox_seq_s" + seed + "_17_5.npy");
        PhiloxGenerator g = new PhiloxGenerator(Long.parseUnsignedLong(seed));
        float[] a = new float[17], b = new float[5];
        g.randn(a);
        g.randn(b);
        assertEquals(2, g.offset());
        float[] got = new float[22];
        System.arraycopy(a, 0, got, 0, 17);
        System.arraycopy(b, 0, got, 17, 5);
        TorchGeneratorTest.assertBits(expected, got, "seed " + seed + " calls of 17 and 5");
    }

    /**
     * rng_philox.py's docstring prints Generator(seed=0).randn((3, 4)): torch's CUDA values, which the float64
     * Box-Muller imitates to within 3.1e-7.
     */
    @Test
    void seedZeroIsCloseToTheDocumentedCudaOutput() {
        double[] documented = {-0.92466259, -0.42534415, -2.6438457, 0.14518388, -0.12086647, -0.57972564,
            -0.62285122, -0.32838709, -1.07454231, -0.36314407, -1.67105067, 2.26550497};
        float[] got = new float[12];
        new PhiloxGenerator(0).randn(got);
        for (int i = 0; i < 12; i++) {
            assertEquals(documented[i], got[i], 5e-7, "index " + i);
        }
    }
}
