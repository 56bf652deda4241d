package dev.stepwise.core.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The optimised TorchGenerator (twist without modulo, uniforms drawn in runs straight into the array, the AVX2
 * kernel recast as exact arithmetic in short vectorisable loops) gives exactly the bits of the plain algorithm,
 * kept below as {@link Reference}: the textbook MT19937 twist with {@code % N}, one {@code nextFloat()} call per
 * uniform, and torch's float32 AVX2 Box-Muller translated lane by lane with its bit masks. Compared
 * over many seeds, sizes (below 16, multiples of 16 and not, across twist boundaries) and sequences of
 * consecutive calls mixing randn, nextFloat, nextDouble and nextGaussian, so the engine state, the position
 * in the state array and the cached scalar normal are all carried alike.
 */
class TorchGeneratorReferenceTest {
    static final int[] SIZES = {
        0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 47, 100, 311, 312, 623, 624, 625, 1000, 1247, 1248, 1249, 4096,
        4 * 4 * 8 * 8 + 5, 8191, 8192, 8193, 8208, 8209, 3 * 8192 + 17, 65_536,
    };
    static final long[] SEEDS = {0, 1, 42, 5489, -1, (1L << 32) + 5, 0xDEADBEEFCAFEBABEL, Long.MIN_VALUE};

    @Test
    void everySizeAndSeedIsBitIdenticalToTheReference() {
        for (long seed : SEEDS) {
            for (int n : SIZES) {
                float[] want = new float[n], got = new float[n];
                new Reference(seed).randn(want);
                new TorchGenerator(seed).randn(got);
                assertBitsEqual(want, got, "seed " + seed + " n " + n);
            }
        }
    }

    /** Random sequences of calls on one generator each: the stream and the cache carry over identically. */
    @Test
    void consecutiveMixedCallsAreBitIdenticalToTheReference() {
        SplittableRandom pick = new SplittableRandom(20261123);
        for (int run = 0; run < 40; run++) {
            long seed = pick.nextLong();
            Reference ref = new Reference(seed);
            TorchGenerator gen = new TorchGenerator(seed);
            for (int call = 0; call < 60; call++) {
                String what = "run " + run + " seed " + seed + " call " + call;
                switch (pick.nextInt(6)) {
                    case 0 -> assertEquals(ref.nextUInt32(), gen.nextUInt32(), what + " nextUInt32");
                    case 1 -> assertEquals(Float.floatToRawIntBits(ref.nextFloat()),
                            Float.floatToRawIntBits(gen.nextFloat()), what + " nextFloat");
                    case 2 -> assertEquals(Double.doubleToRawLongBits(ref.nextDouble()),
                            Double.doubleToRawLongBits(gen.nextDouble()), what + " nextDouble");
                    case 3 -> assertEquals(Double.doubleToRawLongBits(ref.nextGaussian()),
                            Double.doubleToRawLongBits(gen.nextGaussian()), what + " nextGaussian");
                    default -> {
                        // sizes below 16 half the time, otherwise up to a few twists' worth
                        int n = pick.nextBoolean() ? pick.nextInt(16) : 16 + pick.nextInt(3000);
                        float[] want = new float[n], got = new float[n];
                        ref.randn(want);
                        gen.randn(got);
                        assertBitsEqual(want, got, what + " randn n " + n);
                    }
                }
            }
        }
    }

    static void assertBitsEqual(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                throw new AssertionError(what + ": index " + i + " reference " + want[i] + " optimised " + got[i]);
            }
        }
    }

    /** The generator as it was before optimisation, kept verbatim in algorithm: the test's yardstick. */
    static final class Reference {
        private static final int N = 624;
        private static final int M = 397;
        private final int[] mt = new int[N];
        private int index;
        private boolean haveCachedNormal;
        private double cachedNormal;

        Reference(long seed) {
            mt[0] = (int) seed;
            for (int i = 1; i < N; i++) {
                mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
            }
            index = N;
        }

        long nextUInt32() {
            if (index >= N) {
                twist();
            }
            int y = mt[index++];
            y ^= y >>> 11;
            y ^= (y << 7) & 0x9d2c5680;
            y ^= (y << 15) & 0xefc60000;
            y ^= y >>> 18;
            return y & 0xffffffffL;
        }

        private void twist() {
            for (int i = 0; i < N; i++) {
                int y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
                int next = mt[(i + M) % N] ^ (y >>> 1);
                if ((y & 1) != 0) {
                    next ^= 0x9908b0df;
                }
                mt[i] = next;
            }
            index = 0;
        }

        float nextFloat() {
            return (nextUInt32() & 0xffffff) * 0x1.0p-24f;
        }

        double nextDouble() {
            long hi = nextUInt32(), lo = nextUInt32();
            long v = (hi << 32) | lo;
            return (v & ((1L << 53) - 1)) * 0x1.0p-53;
        }

        double nextGaussian() {
            if (haveCachedNormal) {
                haveCachedNormal = false;
                return cachedNormal;
            }
            double u1 = nextDouble();
            double u2 = nextDouble();
            double r = Math.sqrt(-2.0 * Math.log1p(-u2));
            double theta = 2.0 * Math.PI * u1;
            cachedNormal = r * Math.sin(theta);
            haveCachedNormal = true;
            return r * Math.cos(theta);
        }

        void randn(float[] out) {
            int n = out.length;
            if (n < 16) {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) nextGaussian();
                }
                return;
            }
            for (int i = 0; i < n; i++) {
                out[i] = nextFloat();
            }
            for (int i = 0; i + 16 <= n; i += 16) {
                boxMuller16(out, i);
            }
            if (n % 16 != 0) {
                int start = n - 16;
                for (int i = start; i < n; i++) {
                    out[i] = nextFloat();
                }
                boxMuller16(out, start);
            }
        }

        /**
         * torch's normal_fill_16_AVX2 lane by lane, written as literally as Java allows from avx_mathfun.h's
         * log256_ps and sincos256_ps: bit masks, selects and sign xors as there, each multiply-add that GCC fuses
         * as one fma.
         */
        private static void boxMuller16(float[] data, int off) {
            for (int j = 0; j < 8; j++) {
                float u1 = 1f - data[off + j];
                float u2 = data[off + j + 8];
                float radius = (float) Math.sqrt(-2f * log256(u1));
                float theta = (float) (2.0 * Math.PI) * u2;
                float[] sc = sincos256(theta);
                data[off + j] = Math.fma(radius * sc[1], 1f, 0f);
                data[off + j + 8] = Math.fma(radius * sc[0], 1f, 0f);
            }
        }

        private static float log256(float x) {
            x = Math.max(x, Float.MIN_NORMAL);
            int bits = Float.floatToRawIntBits(x);
            int imm0 = (bits >>> 23) - 0x7f;
            x = Float.intBitsToFloat((bits & ~0x7f800000) | Float.floatToRawIntBits(0.5f));
            float e = (float) imm0 + 1f;
            boolean mask = x < 0.707106781186547524f;
            float tmp = mask ? x : 0f;
            x = x - 1f;
            e = e - (mask ? 1f : 0f);
            x = x + tmp;
            float z = x * x;
            float y = 7.0376836292E-2f;
            y = Math.fma(y, x, -1.1514610310E-1f);
            y = Math.fma(y, x, 1.1676998740E-1f);
            y = Math.fma(y, x, -1.2420140846E-1f);
            y = Math.fma(y, x, 1.4249322787E-1f);
            y = Math.fma(y, x, -1.6668057665E-1f);
            y = Math.fma(y, x, 2.0000714765E-1f);
            y = Math.fma(y, x, -2.4999993993E-1f);
            y = Math.fma(y, x, 3.3333331174E-1f);
            y = y * x;
            y = Math.fma(y, z, e * -2.12194440e-4f);
            y = Math.fma(-z, 0.5f, y);
            x = x + y;
            return Math.fma(e, 0.693359375f, x);
        }

        /** {sin, cos} of x as sincos256_ps. */
        private static float[] sincos256(float x) {
            int signSin = Float.floatToRawIntBits(x) & 0x80000000;
            x = Math.abs(x);
            int j = (int) (x * 1.27323954473516f);
            j = (j + 1) & ~1;
            float y = (float) j;
            int swapSign = (j & 4) << 29;
            boolean polyMask = (j & 2) == 0;
            x = Math.fma(y, -0.78515625f, x);
            x = Math.fma(y, -2.4187564849853515625e-4f, x);
            x = Math.fma(y, -3.77489497744594108e-8f, x);
            int signCos = (~(j - 2) & 4) << 29;
            signSin ^= swapSign;
            float z = x * x;
            float yc = Math.fma(2.443315711809948E-005f, z, -1.388731625493765E-003f);
            yc = Math.fma(yc, z, 4.166664568298827E-002f);
            yc = yc * z;
            yc = Math.fma(yc, z, -(z * 0.5f));
            yc = yc + 1f;
            float ys = Math.fma(-1.9515295891E-4f, z, 8.3321608736E-3f);
            ys = Math.fma(ys, z, -1.6666654611E-1f);
            ys = ys * z;
            ys = Math.fma(ys, x, x);
            float ysin2 = polyMask ? ys : 0f;
            float ysin1 = polyMask ? 0f : yc;
            float s = ysin1 + ysin2;
            float c = (yc - ysin1) + (ys - ysin2);
            return new float[] {Float.intBitsToFloat(Float.floatToRawIntBits(s) ^ signSin),
                Float.intBitsToFloat(Float.floatToRawIntBits(c) ^ signCos)};
        }
    }
}
