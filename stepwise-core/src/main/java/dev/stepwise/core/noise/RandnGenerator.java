package dev.stepwise.core.noise;

/** A seeded stream of standard normals drawn an array at a time, as successive {@code randn(shape)} calls. */
public interface RandnGenerator {

    /** Fills out with the next call's standard normals. */
    void randn(float[] out);
}
