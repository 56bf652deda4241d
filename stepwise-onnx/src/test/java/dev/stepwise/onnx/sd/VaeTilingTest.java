package dev.stepwise.onnx.sd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VaeTilingTest {

    private static Tensor latent(int c, int h, int w, long seed) {
        Random r = new Random(seed);
        float[] z = new float[c * h * w];
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) r.nextGaussian();
        }
        return Tensor.wrap(z, 1, c, h, w);
    }

    /**
     * The tiny SD1 VAE (tools/sd/make_tiny.py VaeDecoder: a 3x3 conv on the latent, then three x2 upsamplings each
     * followed by a 3x3 conv, and a 3x3 output conv) sees 1 + 1/2 + 1/4 + 1/8 + 1/8 = 2 latent cells either side
     * of a pixel. With a 12-cell overlap the zero-weight band is 3 cells, so every tile that contributes to a pixel
     * saw all its cells: the tiled decode is the whole decode up to float rounding (ONNX Runtime's conv kernels
     * may block a 24-cell tile differently from the whole latent; values are O(1), so 1e-5 is a few ulps of
     * accumulated rounding). Odd sizes: 50 x 37 cells make 4 x 3 unevenly placed tiles.
     */
    @Test
    void tiledDecodeOfTheTinyVaeIsTheWholeDecode() {
        try (SdModel m = SdModelTest.load("sd1")) {
            Tensor z = latent(4, 50, 37, 7);
            VaeTiling tiling = new VaeTiling(0, 24, 12);
            assertArrayEquals(new int[] {0, 8, 17, 26}, tiling.starts(50));
            assertArrayEquals(new int[] {0, 6, 13}, tiling.starts(37));
            Tensor whole = m.vae().decode(z, 0, VaeTiling.OFF);
            Tensor tiled = m.vae().decode(z, 0, tiling);
            assertArrayEquals(new int[] {3, 400, 296}, tiled.shape());
            assertArrayEquals(whole.shape(), tiled.shape());
            double worst = 0;
            for (int i = 0; i < whole.size(); i++) {
                worst = Math.max(worst, Math.abs(whole.data()[i] - tiled.data()[i]));
            }
            assertTrue(worst < 1e-5, "largest difference " + worst);

            // Too little overlap for the receptive field (a 1-cell band for 2 cells): the seams show.
            Tensor coarse = m.vae().decode(z, 0, new VaeTiling(0, 24, 4));
            double off = 0;
            for (int i = 0; i < whole.size(); i++) {
                off = Math.max(off, Math.abs(whole.data()[i] - coarse.data()[i]));
            }
            assertTrue(off > 1e-3, "a 4-cell overlap should not hide a 2-cell receptive field: " + off);
        }
    }

    @Test
    void smallLatentsAreDecodedWholeBitForBit() {
        try (SdModel m = SdModelTest.load("sd1")) {
            Tensor z = latent(4, 64, 64, 3);
            assertFalse(VaeTiling.DEFAULT.tiles(64, 64));
            assertArrayEquals(m.vae().decode(z, 0, VaeTiling.OFF).data(), m.vae().decode(z, 0).data());
            // One tile covering the latent is the whole decode too.
            assertArrayEquals(m.vae().decode(z, 0, VaeTiling.OFF).data(),
                    m.vae().decode(z, 0, new VaeTiling(0, 64, 16)).data());
        }
        assertTrue(VaeTiling.DEFAULT.tiles(VaeTiling.DEFAULT.above() + 1, VaeTiling.DEFAULT.above()));
        assertFalse(VaeTiling.DEFAULT.tiles(VaeTiling.DEFAULT.above(), VaeTiling.DEFAULT.above()));
    }

    /**
     * Seams: a stand-in decoder paints each tile one colour (its index) at 1 pixel a cell. Along a 40-cell axis
     * with 24-cell tiles and an 8-cell overlap, the tiles start at 0 and 16 and share cells 16..23; tile 1's weight
     * at pixel x is clamp((x + 0.5 - 16 - 2) / 4, 0, 1) and tile 0's clamp((24 - x - 0.5 - 2) / 4, 0, 1) (a band of
     * 8 / 4 = 2, a ramp of 8 / 2 = 4), so x = 19 gets 0.625 * 0 + 0.375 * 1, and 16, 17 and 22, 23 are one tile's.
     */
    @Test
    void overlapsAreBlendedByALinearRamp() {
        VaeTiling tiling = new VaeTiling(0, 24, 8);
        List<int[]> calls = new ArrayList<>();
        float[] colour = {0};
        VaeTiling.Decoder paint = (latent, c, h, w) -> {
            calls.add(new int[] {c, h, w});
            float[] px = new float[3 * h * w];
            java.util.Arrays.fill(px, colour[0]++);
            return Tensor.wrap(px, 3, h, w);
        };
        Tensor out = tiling.decode(new float[4 * 10 * 40], 4, 10, 40, paint);
        assertEquals(2, calls.size());
        assertArrayEquals(new int[] {4, 10, 24}, calls.get(0));
        assertArrayEquals(new int[] {3, 10, 40}, out.shape());
        float[] row = new float[40];
        System.arraycopy(out.data(), 5 * 40, row, 0, 40);   // any row, any channel: the y axis has one tile
        for (int x = 0; x <= 17; x++) {
            assertEquals(0f, row[x], 0, "x = " + x);
        }
        assertEquals(0.125f, row[18], 1e-7);
        assertEquals(0.375f, row[19], 1e-7);
        assertEquals(0.625f, row[20], 1e-7);
        assertEquals(0.875f, row[21], 1e-7);
        for (int x = 22; x < 40; x++) {
            assertEquals(1f, row[x], 0, "x = " + x);
        }
    }

    @Test
    void tilesAreTheFewestThatOverlapEnough() {
        VaeTiling t = VaeTiling.DEFAULT;
        assertArrayEquals(new int[] {0}, t.starts(64));
        assertArrayEquals(new int[] {0, 1}, t.starts(65));              // 64 + 1 cells: two tiles, one cell apart
        for (int n = 65; n <= 400; n++) {
            int[] s = t.starts(n);
            assertEquals(0, s[0]);
            assertEquals(n - t.tile(), s[s.length - 1], "n = " + n);
            for (int k = 1; k < s.length; k++) {
                assertTrue(s[k - 1] + t.tile() - s[k] >= t.overlap(), "n = " + n + ": tiles " + (k - 1) + ", " + k);
            }
            // one tile fewer could not cover n cells with that overlap
            assertTrue((s.length - 1) * (t.tile() - t.overlap()) + t.overlap() < n, "n = " + n);
        }
        assertEquals(5, t.starts(256).length);                         // a 2048-pixel side: 5 tiles of 512 pixels
    }

    @Test
    void badSettingsAreOneLine() {
        assertEquals("VAE tiles of 20 cells overlapping by 16 are not allowed; the overlap must be at least 4 cells"
                + " and at most half the tile", assertThrows(IllegalArgumentException.class,
                () -> new VaeTiling(64, 20, 16)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VaeTiling(64, 64, 2));
        assertThrows(IllegalArgumentException.class, () -> new VaeTiling(-1, 64, 16));
    }
}
