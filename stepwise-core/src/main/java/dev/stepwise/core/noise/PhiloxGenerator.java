package dev.stepwise.core.noise;

/**
 * AUTOMATIC1111's "NV" random number source ({@code modules/rng_philox.py}, its {@code Generator}): noise that
 * imitates {@code torch.randn(..., device="cuda")} on the CPU, so a seed gives the same starting noise on any
 * machine as on an NVIDIA card. Each {@link #randn(float[])} call is one {@code Generator.randn(shape)} call: value i
 * of the call numbered {@code offset} (0, 1, ... per generator) comes from the Philox4x32-10 block of counter
 * (offset, 0, i, 0) under the key (low 32 bits of the seed, high 32 bits), whose first two words x, y give
 * u = x 2^-32 + 2^-33 and v = y 2^-32 2 pi + 2^-32 pi (in float64 from float32 constants, as there) and the value
 * float32(sqrt(-2 ln u) sin v); the block's other two words are discarded.
 *
 * <p>Philox4x32-10 is the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as
 * easy as 1, 2, 3" (SC 2011), as in their Random123 library: ten rounds of two 32x32->64-bit multiplications, the
 * key bumped by the Weyl constants between rounds.
 */
public final class PhiloxGenerator implements RandnGenerator {
    private static final long M0 = 0xD2511F53L, M1 = 0xCD9E8D57L;
    private static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;
    /** rng_philox.py's float32 constants, widened to float64 as numpy does when a uint32 array meets them. */
    private static final double TWO_POW32_INV = 2.3283064e-10f;
    private static final double TWO_POW32_INV_2PI = (float) (2.3283064e-10 * 6.2831855);
    /** float32 / 2 stays float32 there, and halving is exact. */
    private static final double HALF_INV = (float) TWO_POW32_INV / 2f;
    private static final double HALF_INV_2PI = (float) TWO_POW32_INV_2PI / 2f;

    private final int key0, key1;
    private long offset;

    /** A generator as {@code Generator(seed)}: the seed's 64-bit pattern is the key, the offset starts at 0. */
    public PhiloxGenerator(long seed) {
        key0 = (int) seed;
        key1 = (int) (seed >>> 32);
    }

    /** The number of randn calls made so far, which is the next call's counter word 0. */
    public long offset() {
        return offset;
    }

    /**
     * The Philox4x32-10 block function: out = the four 32-bit words for counter ctr (4 words) under key (2 words).
     */
    public static void philox4x32x10(int[] ctr, int[] key, int[] out) {
        int c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
        int k0 = key[0], k1 = key[1];
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = M0 * (c0 & 0xffffffffL), p1 = M1 * (c2 & 0xffffffffL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c1 = (int) p1;
            c3 = (int) p0;
            c0 = n0;
            c2 = n2;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** Fills out with the next call's standard normals (one {@code Generator.randn} of out.length values). */
    @Override
    public void randn(float[] out) {
        int[] ctr = new int[4], key = {key0, key1}, block = new int[4];
        ctr[0] = (int) offset; // rng_philox.py stores the offset in a uint32 counter word
        for (int i = 0; i < out.length; i++) {
            ctr[2] = i;
            philox4x32x10(ctr, key, block);
            out[i] = boxMuller(block[0], block[1]);
        }
        offset++;
    }

    /** The first of Box-Muller's pair from two 32-bit words, in rng_philox.py's float64 arithmetic. */
    static float boxMuller(int x, int y) {
        double u = (x & 0xffffffffL) * TWO_POW32_INV + HALF_INV;
        double v = (y & 0xffffffffL) * TWO_POW32_INV_2PI + HALF_INV_2PI;
        double s = StrictMath.sqrt(-2.0 * StrictMath.log(u));
        return (float) (s * StrictMath.sin(v));
    }
}
