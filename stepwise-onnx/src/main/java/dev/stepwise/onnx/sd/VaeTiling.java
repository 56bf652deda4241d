package dev.stepwise.onnx.sd;

import dev.stepwise.core.tensor.Tensor;

/**
 * When and how the VAE decodes a latent in overlapping tiles, so that a large image needs no more memory than a
 * tile does. A latent of more than {@code above} x {@code above} cells is cut into tiles of at most {@code tile} x
 * {@code tile} cells, spread evenly so that neighbours overlap by at least {@code overlap} cells; each tile is
 * decoded alone and the tiles' pixels are blended. Smaller latents are decoded whole, unchanged bit for bit.
 *
 * <p>Blending: along each axis a tile's weight is 0 over the outer quarter of the overlap at an edge it shares with
 * a neighbour, rises linearly over the middle half, and is 1 elsewhere (image borders included); a 2D weight is the
 * product of the two axes', and each pixel is the weighted mean of the tiles that cover it. A decoder whose output
 * pixel depends only on latent cells within {@code overlap / 4} of it (its receptive field) so gives exactly the
 * whole-latent decode: every tile with a nonzero weight saw all of that pixel's cells. The SD VAE's receptive field
 * is wider (its mid-block attention and GroupNorm see the whole latent), so there tiling changes pixels slightly,
 * as in ComfyUI's VAEDecodeTiled (comfy/utils.py tiled_scale_multidim, which feathers the whole overlap; the
 * zero-weight band here keeps each tile's padded edge out of the blend).
 *
 * @param above   latents of at most above x above cells are decoded whole (0: always tile)
 * @param tile    most cells along a tile's side
 * @param overlap fewest cells shared by neighbouring tiles: at least 4, at most tile / 2
 */
public record VaeTiling(int above, int tile, int overlap) {

    /**
     * The default: whole decodes up to 96 x 96 latent cells (768 x 768 pixels); 64-cell (512-pixel) tiles
     * overlapping by 16 cells above that. Measured with {@code stepwise bench pipeline --decode-size} on the
     * SD1.5 VAE (README, "Real-size speed").
     */
    public static final VaeTiling DEFAULT = new VaeTiling(96, 64, 16);

    /** Never tiles: the whole latent in one decode, however large. */
    public static final VaeTiling OFF = new VaeTiling(Integer.MAX_VALUE, 64, 16);

    public VaeTiling {
        if (above < 0) {
            throw new IllegalArgumentException("VAE tiling threshold " + above + " is not allowed; it must be >= 0"
                    + " latent cells (0 = always tile)");
        }
        if (overlap < 4 || tile < 2 * overlap) {
            throw new IllegalArgumentException("VAE tiles of " + tile + " cells overlapping by " + overlap
                    + " are not allowed; the overlap must be at least 4 cells and at most half the tile");
        }
    }

    /** Whether a latent of {@code h} x {@code w} cells is decoded in tiles. */
    public boolean tiles(int h, int w) {
        return (long) h * w > (long) above * above;
    }

    /** Decodes one latent [C, h, w] (a tile at a time) to pixels [3, f*h, f*w]; f is the decoder's upscale. */
    interface Decoder {
        Tensor decode(float[] latent, int channels, int h, int w);
    }

    /**
     * Decodes {@code latent} [C, h, w] through {@code decoder} in tiles (or whole, when it fits in one tile) and
     * blends them; returns [3, f*h, f*w] pixels.
     */
    Tensor decode(float[] latent, int channels, int h, int w, Decoder decoder) {
        int[] ys = starts(h), xs = starts(w);
        int th = Math.min(tile, h), tw = Math.min(tile, w);
        Tensor out = null;
        float[] sum = null, norm = null;
        int f = 0, oh = 0, ow = 0, colours = 0;
        float[] part = new float[channels * th * tw];
        for (int ty = 0; ty < ys.length; ty++) {
            for (int tx = 0; tx < xs.length; tx++) {
                int y0 = ys[ty], x0 = xs[tx];
                for (int c = 0; c < channels; c++) {
                    for (int y = 0; y < th; y++) {
                        System.arraycopy(latent, (c * h + y0 + y) * w + x0, part, (c * th + y) * tw, tw);
                    }
                }
                Tensor px = decoder.decode(part, channels, th, tw);
                if (out == null) {
                    f = px.dim(1) / th;
                    colours = px.dim(0);
                    if (f < 1 || px.dim(1) != f * th || px.dim(2) != f * tw) {
                        throw new IllegalStateException("the VAE decoded a " + th + "x" + tw + " latent to "
                                + px.dim(1) + "x" + px.dim(2) + " pixels, not a whole multiple");
                    }
                    if (ys.length == 1 && xs.length == 1) {
                        return px;
                    }
                    oh = f * h;
                    ow = f * w;
                    out = Tensor.zeros(colours, oh, ow);
                    sum = out.data();
                    norm = new float[oh * ow];
                }
                float[] wy = weights(ys, ty, th, f), wx = weights(xs, tx, tw, f);
                float[] p = px.data();
                int ph = f * th, pw = f * tw;
                for (int y = 0; y < ph; y++) {
                    for (int x = 0; x < pw; x++) {
                        float wt = wy[y] * wx[x];
                        if (wt == 0) {
                            continue;
                        }
                        int o = (f * y0 + y) * ow + f * x0 + x;
                        norm[o] += wt;
                        for (int c = 0; c < colours; c++) {
                            sum[c * oh * ow + o] += wt * p[(c * ph + y) * pw + x];
                        }
                    }
                }
            }
        }
        for (int o = 0; o < oh * ow; o++) {
            float inv = 1 / norm[o];   // > 0: a neighbour covers each tile's zero band with a positive weight
            for (int c = 0; c < colours; c++) {
                sum[c * oh * ow + o] *= inv;
            }
        }
        return out;
    }

    /**
     * First cells of the tiles along an axis of {@code n} cells: one tile when it fits, else the fewest tiles of
     * {@code tile} cells whose even spread leaves neighbours sharing at least {@code overlap} cells.
     */
    int[] starts(int n) {
        if (n <= tile) {
            return new int[] {0};
        }
        int count = Math.ceilDiv(n - overlap, tile - overlap);
        int[] s = new int[count];
        for (int k = 0; k < count; k++) {
            s[k] = (int) ((long) k * (n - tile) / (count - 1));   // steps of at most tile - overlap
        }
        return s;
    }

    /**
     * One tile's blending weights along an axis, per pixel ({@code f} pixels a cell): 0 over the outer quarter of
     * the overlap at an edge shared with a neighbour, a linear ramp over the middle half, 1 elsewhere.
     */
    float[] weights(int[] starts, int k, int cells, int f) {
        int px = cells * f;
        float[] w = new float[px];
        float margin = f * overlap / 4f, ramp = f * overlap / 2f;
        for (int i = 0; i < px; i++) {
            float centre = i + 0.5f;
            float v = 1;
            if (k > 0) {
                v = Math.min(v, Math.clamp((centre - margin) / ramp, 0f, 1f));
            }
            if (k < starts.length - 1) {
                v = Math.min(v, Math.clamp((px - centre - margin) / ramp, 0f, 1f));
            }
            w[i] = v;
        }
        return w;
    }
}
