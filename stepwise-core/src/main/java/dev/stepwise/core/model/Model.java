package dev.stepwise.core.model;

import java.util.Arrays;

/**
 * A model ready to sample: its denoiser, its noise parameterisation and the shape of one sample
 * (for example [1, 28, 28] for the built-in image model or [2] for a 2-D mixture).
 */
public record Model(String name, Denoiser denoiser, ModelSampling sampling, int[] sampleShape) {
    public Model {
        sampleShape = sampleShape.clone();
        for (int d : sampleShape) {
            if (d < 1) {
                throw new IllegalArgumentException("sample shape " + Arrays.toString(sampleShape) + " has a dimension < 1");
            }
        }
    }

    @Override
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** Values in one sample. */
    public int sampleSize() {
        int n = 1;
        for (int d : sampleShape) {
            n *= d;
        }
        return n;
    }
}
