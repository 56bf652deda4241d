package dev.stepwise.core.noise;

/**
 * A Gaussian generator that reproduces PyTorch's CPU generator: {@code torch.manual_seed(seed)} followed
 * by {@code torch.randn(n)} (float32) gives the same numbers as {@link #randn(float[])} on an array of the
 * same size. That is also what ComfyUI uses for a seed's initial noise, so a seed means the same starting
 * noise here as there. Bit for bit against torch 1.13 on x86 with AVX2 (TorchGeneratorTest, fixtures made by
 * tools/fixtures/make_torch_noise.py) for every size: uniforms, arrays of fewer than 16 values, and larger
 * arrays through torch's AVX2 kernel ({@link TorchBoxMuller}). torch's scalar kernel (ATEN_CPU_CAPABILITY=default,
 * CPUs without AVX2, and torch's AVX512 kernels, which its source gives the scalar path) uses glibc's
 * logf/cosf/sinf instead and differs from it by up to 1.6e-6 on arrays of 16 or more; smaller arrays take the same
 * double-precision path under both kernels and match either bit for bit.
 *
 * <p>The engine is MT19937 (Matsumoto and Nishimura 1998) seeded with the low 32 bits of the seed (torch
 * truncates; seeds above 2^63 are the same 64-bit pattern as a negative long). Float uniforms take the
 * low 24 bits of one 32-bit draw; double uniforms the low 53 bits of two draws (high word first). Arrays
 * of 16 or more values are filled as torch's {@code normal_fill}: all uniforms first, then Box-Muller on
 * blocks of 16 (u1 = 1 - data[j], u2 = data[j + 8]), the last partial block being redone on 16 fresh
 * uniforms; smaller arrays take one double Box-Muller pair per two values, the sine half cached for the
 * next call of either size (the vectorised path neither uses nor clears the cache).
 */
public final class TorchGenerator implements RandnGenerator {
    private static final int N = 624;
    private static final int M = 397;
    private final int[] mt = new int[N];
    private int index;
    private boolean haveCachedNormal;
    private double cachedNormal;
    /** Scratch for the vectorised path, made on first use as large as the call needs (up to its most). */
    private TorchBoxMuller boxMuller;

    public TorchGenerator(long seed) {
        mt[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
        index = N;
    }

    /** The next raw 32-bit MT19937 output, as an unsigned value. */
    public long nextUInt32() {
        if (index >= N) {
            twist();
        }
        return temper(mt[index++]) & 0xffffffffL;
    }

    /** MT19937's output tempering of one state word. */
    private static int temper(int y) {
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /**
     * Regenerates all N state words. The reference loop indexes mt[(i + 1) % N] and mt[(i + M) % N]; it is
     * split here into the three ranges where neither, one, or both indices wrap, so no modulo is needed.
     * Words are rewritten in the same order, so each reads the same (old or already new) values as there.
     */
    private void twist() {
        int[] s = mt;
        int i = 0;
        for (; i < N - M; i++) {
            s[i] = s[i + M] ^ mix(s[i], s[i + 1]);
        }
        for (; i < N - 1; i++) {
            s[i] = s[i + M - N] ^ mix(s[i], s[i + 1]);
        }
        s[N - 1] = s[M - 1] ^ mix(s[N - 1], s[0]);
        index = 0;
    }

    /** (upper bit of a, lower 31 bits of b) shifted right once, xor the matrix A's row when odd. */
    private static int mix(int a, int b) {
        int y = (a & 0x80000000) | (b & 0x7fffffff);
        return (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    }

    /** A float-precision uniform in [0, 1): the low 24 bits of one draw. */
    public float nextFloat() {
        if (index >= N) {
            twist();
        }
        return (temper(mt[index++]) & 0xffffff) * 0x1.0p-24f;
    }

    /**
     * out[from..to) = successive {@link #nextFloat()} values, drawn straight from the state array a whole
     * run of words at a time (the per-value call and bounds check on index dominate otherwise).
     */
    private void fillUniforms(float[] out, int from, int to) {
        int[] s = mt;
        int i = from;
        while (i < to) {
            if (index >= N) {
                twist();
            }
            int k = index;
            int end = i + Math.min(N - k, to - i);
            for (; i < end; i++, k++) {
                out[i] = (temper(s[k]) & 0xffffff) * 0x1.0p-24f;
            }
            index = k;
        }
    }

    /** A double-precision uniform in [0, 1): the low 53 bits of two draws, high word first. */
    public double nextDouble() {
        long hi = nextUInt32(), lo = nextUInt32();
        long v = (hi << 32) | lo;
        return (v & ((1L << 53) - 1)) * 0x1.0p-53;
    }

    /** One standard normal as torch's scalar {@code normal_distribution<double>}. */
    public double nextGaussian() {
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

    /** Fills out with standard normals exactly as {@code torch.randn} fills a float tensor of that size. */
    @Override
    public void randn(float[] out) {
        int n = out.length;
        if (n < 16) {
            for (int i = 0; i < n; i++) {
                out[i] = (float) nextGaussian();
            }
            return;
        }
        if (boxMuller == null || !boxMuller.fits(n / 16)) {
            boxMuller = new TorchBoxMuller(n / 16);
        }
        fillUniforms(out, 0, n);
        boxMuller.transform(out, 0, n / 16);
        if (n % 16 != 0) {
            int start = n - 16;
            fillUniforms(out, start, n);
            boxMuller.transform(out, start, 1);
        }
    }
}
