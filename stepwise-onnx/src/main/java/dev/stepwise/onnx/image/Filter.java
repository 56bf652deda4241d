package dev.stepwise.onnx.image;

import java.util.Locale;

/**
 * Resampling filters for integer upscaling. Output pixel o samples the input at the pixel-centre
 * position (o + 0.5) / scale - 0.5; samples past the border repeat the edge pixel.
 */
public enum Filter {
    /** Each input pixel becomes a scale x scale block. */
    NEAREST(0.5),
    /** Linear interpolation between the two nearest pixel centres (triangle kernel, radius 1). */
    BILINEAR(1),
    /** Lanczos-3: kernel sinc(x) sinc(x / 3) on |x| < 3, weights normalised to sum to 1. */
    LANCZOS(3);

    private final double radius;

    Filter(double radius) {
        this.radius = radius;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Filter parse(String s) {
        for (Filter f : values()) {
            if (f.id().equalsIgnoreCase(s.trim())) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown filter '" + s + "'; allowed: nearest, bilinear, lanczos");
    }

    double kernel(double x) {
        double a = Math.abs(x);
        return switch (this) {
            // An integer scale never puts an output centre halfway between two input centres.
            case NEAREST -> a < 0.5 ? 1 : 0;
            case BILINEAR -> a < 1 ? 1 - a : 0;
            case LANCZOS -> a < 3 ? sinc(x) * sinc(x / 3) : 0;
        };
    }

    private static double sinc(double x) {
        if (x == 0) {
            return 1;
        }
        double px = Math.PI * x;
        return Math.sin(px) / px;
    }

    /** Upscales a w x h image (row-major) by an integer factor. */
    public double[] upscale(double[] src, int w, int h, int scale) {
        if (scale < 1) {
            throw new IllegalArgumentException("scale " + scale + " must be >= 1");
        }
        if (src.length != w * h) {
            throw new IllegalArgumentException(w + "x" + h + " image needs " + w * h + " values, got " + src.length);
        }
        if (scale == 1) {
            return src.clone();
        }
        int ow = w * scale, oh = h * scale;
        double[] rows = new double[ow * h];
        Taps horizontal = taps(w, scale);
        for (int y = 0; y < h; y++) {
            for (int o = 0; o < ow; o++) {
                double s = 0;
                for (int k = 0; k < horizontal.count[o]; k++) {
                    s += horizontal.weight[o][k] * src[y * w + horizontal.index[o][k]];
                }
                rows[y * ow + o] = s;
            }
        }
        double[] out = new double[ow * oh];
        Taps vertical = taps(h, scale);
        for (int o = 0; o < oh; o++) {
            for (int x = 0; x < ow; x++) {
                double s = 0;
                for (int k = 0; k < vertical.count[o]; k++) {
                    s += vertical.weight[o][k] * rows[vertical.index[o][k] * ow + x];
                }
                out[o * ow + x] = s;
            }
        }
        return out;
    }

    private record Taps(int[] count, int[][] index, double[][] weight) {
    }

    /** For every output position along an axis of n input pixels: the input pixels and weights it reads. */
    private Taps taps(int n, int scale) {
        int on = n * scale;
        int width = (int) Math.ceil(2 * radius) + 1;
        int[] count = new int[on];
        int[][] index = new int[on][width];
        double[][] weight = new double[on][width];
        for (int o = 0; o < on; o++) {
            double centre = (o + 0.5) / scale - 0.5;
            int first = (int) Math.floor(centre - radius), last = (int) Math.ceil(centre + radius);
            double sum = 0;
            int c = 0;
            for (int i = first; i <= last; i++) {
                double wgt = kernel(centre - i);
                if (wgt == 0) {
                    continue;
                }
                int clamped = Math.min(Math.max(i, 0), n - 1);
                index[o][c] = clamped;
                weight[o][c] = wgt;
                sum += wgt;
                c++;
            }
            for (int k = 0; k < c; k++) {
                weight[o][k] /= sum;
            }
            count[o] = c;
        }
        return new Taps(count, index, weight);
    }
}
