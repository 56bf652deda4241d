package dev.stepwise.core.tensor;

import java.util.Arrays;

/**
 * A dense float32 tensor in row-major order whose first dimension is the batch (NCHW for images,
 * [B, dim] for vectors). The data array is exposed on purpose: samplers work on it in place.
 */
public final class Tensor {
    private final int[] shape;
    private final float[] data;

    private Tensor(int[] shape, float[] data) {
        this.shape = shape;
        this.data = data;
    }

    /** A zero tensor of the given shape. */
    public static Tensor zeros(int... shape) {
        return new Tensor(shape.clone(), new float[checkedSize(shape)]);
    }

    /** Wraps (does not copy) data as a tensor of the given shape. */
    public static Tensor wrap(float[] data, int... shape) {
        int size = checkedSize(shape);
        if (size != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + size
                    + " values, got " + data.length);
        }
        return new Tensor(shape.clone(), data);
    }

    /** Shape [batch, rowShape...]. */
    public static int[] batchShape(int batch, int[] rowShape) {
        int[] s = new int[rowShape.length + 1];
        s[0] = batch;
        System.arraycopy(rowShape, 0, s, 1, rowShape.length);
        return s;
    }

    private static int checkedSize(int[] shape) {
        if (shape.length == 0) {
            throw new IllegalArgumentException("a tensor needs at least a batch dimension");
        }
        long size = 1;
        for (int d : shape) {
            if (d < 1) {
                throw new IllegalArgumentException("dimension " + d + " in shape " + Arrays.toString(shape)
                        + " must be at least 1");
            }
            size *= d;
            if (size > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is too large");
            }
        }
        return (int) size;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return shape[i];
    }

    public int batch() {
        return shape[0];
    }

    /** The shape of one batch row. */
    public int[] rowShape() {
        return Arrays.copyOfRange(shape, 1, shape.length);
    }

    /** Number of values in one batch row. */
    public int rowSize() {
        return data.length / shape[0];
    }

    public int size() {
        return data.length;
    }

    public float[] data() {
        return data;
    }

    public Tensor copy() {
        return new Tensor(shape.clone(), data.clone());
    }

    /** Row {@code i} as a new double array. */
    public double[] row(int i) {
        int n = rowSize();
        double[] r = new double[n];
        for (int k = 0; k < n; k++) {
            r[k] = data[i * n + k];
        }
        return r;
    }

    public boolean sameShape(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
