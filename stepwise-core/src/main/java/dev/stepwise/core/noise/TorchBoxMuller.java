package dev.stepwise.core.noise;

/**
 * torch's vectorised float32 Box-Muller, {@code normal_fill_16_AVX2} (aten/src/ATen/native/cpu/DistributionTemplates.h,
 * torch 1.13 to 2.x on x86 with AVX2), in the same float arithmetic so that the result is bit for bit torch's. For each
 * block of 16 uniforms it takes u1 = 1 - data[j] and u2 = data[j + 8] (j < 8), radius = sqrt(-2 log u1) and
 * theta = float(2 pi) * u2, and writes radius cos theta to data[j] and radius sin theta to data[j + 8]. log, sin and
 * cos are {@code log256_ps} and {@code sincos256_ps} of avx_mathfun.h (Pommier's and Garberoglio's ports of the
 * Cephes single-precision polynomials). torch's build compiles them with {@code -mfma} and GCC's default
 * {@code -ffp-contract=fast}, so every multiply whose only use is an add became one fused multiply-add: those are the
 * {@link Math#fma} calls below (which multiplies were fused was confirmed on 6 million of torch's values).
 *
 * <p>The arithmetic is split into short loops over lanes in scratch arrays because the JIT vectorises only short loop
 * bodies without float/int bit reinterpretation. Bit tricks of the original are therefore recast as exact arithmetic:
 * u1 = m 2^-24 for an integer m in [1, 2^24], so its exponent is a leading-zero count and its mantissa an integer
 * multiple; the sign flips and the polynomial selection are products with +-1 and 0/1, exact for the values that occur
 * (neither polynomial returns -0 or 0 where a selection by mask would differ from one by product).
 */
final class TorchBoxMuller {
    // avx_mathfun.h's Cephes constants, rounded to float as its _PS256_CONST arrays are.
    private static final float LOG_P0 = 7.0376836292E-2f, LOG_P1 = -1.1514610310E-1f, LOG_P2 = 1.1676998740E-1f,
            LOG_P3 = -1.2420140846E-1f, LOG_P4 = 1.4249322787E-1f, LOG_P5 = -1.6668057665E-1f,
            LOG_P6 = 2.0000714765E-1f, LOG_P7 = -2.4999993993E-1f, LOG_P8 = 3.3333331174E-1f;
    private static final float LOG_Q1 = -2.12194440e-4f, LOG_Q2 = 0.693359375f;
    private static final float MINUS_DP1 = -0.78515625f, MINUS_DP2 = -2.4187564849853515625e-4f,
            MINUS_DP3 = -3.77489497744594108e-8f;
    private static final float SIN_P0 = -1.9515295891E-4f, SIN_P1 = 8.3321608736E-3f, SIN_P2 = -1.6666654611E-1f;
    private static final float COS_P0 = 2.443315711809948E-005f, COS_P1 = -1.388731625493765E-003f,
            COS_P2 = 4.166664568298827E-002f;
    private static final float FOUR_OVER_PI = 1.27323954473516f;
    /** torch's {@code _mm256_set1_ps(2.0f * c10::pi<double>)}: 2 pi rounded to float. */
    private static final float TWO_PI = (float) (2.0 * Math.PI);
    /** sqrt(1/2) as float, times 2^25: the mantissa test x < SQRTHF on x = mantissa 2^-25. */
    private static final int SQRTHF_25 = (int) (0.707106781186547524f * 0x1.0p25f);

    /** The most blocks per pass: the scratch arrays (7 x 16 KiB at most) stay in L2. */
    static final int MAX_BLOCKS = 512;

    private final int blocksPerPass;
    private final float[] u1, u2, fa, fb, radius;
    private final int[] ia, ib;

    /** Scratch for passes of up to {@code blocks} blocks (at most {@link #MAX_BLOCKS}). */
    TorchBoxMuller(int blocks) {
        blocksPerPass = Math.max(1, Math.min(blocks, MAX_BLOCKS));
        int lanes = 8 * blocksPerPass;
        u1 = new float[lanes];
        u2 = new float[lanes];
        fa = new float[lanes];
        fb = new float[lanes];
        radius = new float[lanes];
        ia = new int[lanes];
        ib = new int[lanes];
    }

    /** Whether passes of this many blocks (or MAX_BLOCKS, the most a pass takes) fit without a larger scratch. */
    boolean fits(int blocks) {
        return blocksPerPass >= Math.min(blocks, MAX_BLOCKS);
    }

    /** Transforms the whole blocks of 16 uniforms in data[off, off + 16 blocks). */
    void transform(float[] data, int off, int blocks) {
        for (int b0 = 0; b0 < blocks; b0 += blocksPerPass) {
            int nb = Math.min(blocksPerPass, blocks - b0);
            int base = off + 16 * b0;
            for (int q = 0; q < nb; q++) {
                System.arraycopy(data, base + 16 * q, u1, 8 * q, 8);
                System.arraycopy(data, base + 16 * q + 8, u2, 8 * q, 8);
            }
            lanes(8 * nb);
            for (int q = 0; q < nb; q++) {
                System.arraycopy(u1, 8 * q, data, base + 16 * q, 8);
                System.arraycopy(u2, 8 * q, data, base + 16 * q + 8, 8);
            }
        }
    }

    /** u1[k], u2[k] (uniforms) -> u1[k] = radius cos theta, u2[k] = radius sin theta, for k < n. */
    private void lanes(int n) {
        float[] u1 = this.u1, u2 = this.u2, fa = this.fa, fb = this.fb, radius = this.radius;
        int[] ia = this.ia, ib = this.ib;
        // log256_ps(1 - u): u = k 2^-24 (k < 2^24) so 1 - u = m 2^-24 exactly. Its float exponent is e - 1 and its
        // mantissa x in [0.5, 1) is m 2^(p - 25) with p = nlz(m) - 7 in [0, 24], e = 1 - p.
        for (int k = 0; k < n; k++) {
            int m = (1 << 24) - (int) (u1[k] * 0x1.0p24f);
            ia[k] = m;
            ib[k] = Integer.numberOfLeadingZeros(m) - 7;
        }
        for (int k = 0; k < n; k++) {
            int p = ib[k];
            // 2^p as a product over p's five bits (the JIT does not vectorise variable shifts)
            ia[k] *= (1 + (p & 1)) * (1 + 3 * ((p >> 1) & 1)) * (1 + 15 * ((p >> 2) & 1))
                    * (1 + 255 * ((p >> 3) & 1)) * (1 + 65535 * ((p >> 4) & 1));
        }
        for (int k = 0; k < n; k++) {
            int mant = ia[k];
            float x = mant * 0x1.0p-25f;
            float below = ((SQRTHF_25 - 1 - mant) >>> 31) ^ 1; // 1 where x < SQRTHF
            fb[k] = (1 - ib[k]) - below; // e = exponent + 1, less one where x is doubled
            fa[k] = (x - 1f) + x * below; // x + x - 1 or x - 1, added in log256_ps's order
        }
        for (int k = 0; k < n; k++) {
            float x = fa[k], e = fb[k];
            float z = x * x;
            float y = Math.fma(LOG_P0, x, LOG_P1);
            y = Math.fma(y, x, LOG_P2);
            y = Math.fma(y, x, LOG_P3);
            y = Math.fma(y, x, LOG_P4);
            y = Math.fma(y, x, LOG_P5);
            y = Math.fma(y, x, LOG_P6);
            y = Math.fma(y, x, LOG_P7);
            y = Math.fma(y, x, LOG_P8);
            y = y * x;
            y = Math.fma(y, z, e * LOG_Q1);
            y = Math.fma(-z, 0.5f, y);
            float log = Math.fma(e, LOG_Q2, x + y);
            radius[k] = (float) Math.sqrt(-2f * log);
        }
        // sincos256_ps(theta), theta >= 0: j = (int(theta 4/pi) + 1) & ~1, x = theta - j pi/4 in three parts.
        for (int k = 0; k < n; k++) {
            float theta = TWO_PI * u2[k];
            int j = ((int) (theta * FOUR_OVER_PI) + 1) & ~1;
            float fj = j;
            float x = Math.fma(fj, MINUS_DP1, theta);
            x = Math.fma(fj, MINUS_DP2, x);
            fa[k] = Math.fma(fj, MINUS_DP3, x);
            ia[k] = j;
        }
        for (int k = 0; k < n; k++) {
            float x = fa[k];
            float z = x * x;
            float c = Math.fma(COS_P0, z, COS_P1);
            c = Math.fma(c, z, COS_P2);
            c = c * z;
            fb[k] = Math.fma(c, z, -(z * 0.5f)) + 1f;
            float s = Math.fma(SIN_P0, z, SIN_P1);
            s = Math.fma(s, z, SIN_P2);
            s = s * z;
            u2[k] = Math.fma(s, x, x);
        }
        for (int k = 0; k < n; k++) {
            int j = ia[k];
            float polyC = fb[k], polyS = u2[k], r = radius[k];
            float sinFromS = 1 - ((j & 2) >> 1); // 1 where (j & 2) == 0: the sine is the sine polynomial
            float ysin2 = polyS * sinFromS;
            float ysin1 = polyC * (1f - sinFromS);
            float sin = (ysin1 + ysin2) * (1 - ((j & 4) >> 1));
            float cos = ((polyC - ysin1) + (polyS - ysin2)) * (1 - ((~(j - 2) & 4) >> 1));
            // torch's _mm256_fmadd_ps(n, std = 1, mean = 0): + 0 turns -0 into +0
            u1[k] = r * cos + 0f;
            u2[k] = r * sin + 0f;
        }
    }
}
