package dev.stepwise.core.model;

import dev.stepwise.core.tensor.Tensor;
import java.util.Arrays;

/**
 * What one batch row is conditioned on. Models read the kinds they understand: class-conditional
 * models (the analytic mixtures, the built-in Fashion-MNIST model) read {@link Classes}; text-encoder
 * models read {@link Embedding}. {@link #NONE} is the unconditional branch of classifier-free guidance.
 */
public interface Conditioning {

    /** The unconditional (empty) conditioning. */
    Conditioning NONE = new Unconditional();

    /** Weights over class labels: one-hot for a plain class, A1111-style weights for "(bag:1.3), coat". */
    static Classes classes(double... weights) {
        return new Classes(weights);
    }

    /** A single class label out of {@code count} labels. */
    static Classes label(int label, int count) {
        if (label < 0 || label >= count) {
            throw new IllegalArgumentException("label " + label + " is outside 0.." + (count - 1));
        }
        double[] w = new double[count];
        w[label] = 1;
        return new Classes(w);
    }

    default boolean isUnconditional() {
        return false;
    }

    /** No conditioning at all. */
    record Unconditional() implements Conditioning {
        @Override
        public boolean isUnconditional() {
            return true;
        }

        @Override
        public String toString() {
            return "unconditional";
        }
    }

    /** Non-negative weights over class labels; all zeros means unconditional. */
    record Classes(double[] weights) implements Conditioning {
        public Classes {
            weights = weights.clone();
            for (double w : weights) {
                if (!(w >= 0) || Double.isInfinite(w)) {
                    throw new IllegalArgumentException("class weight " + w + " must be finite and >= 0");
                }
            }
        }

        @Override
        public double[] weights() {
            return weights.clone();
        }

        public double weight(int label) {
            return label < weights.length ? weights[label] : 0;
        }

        public int count() {
            return weights.length;
        }

        @Override
        public boolean isUnconditional() {
            for (double w : weights) {
                if (w != 0) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Classes c && Arrays.equals(weights, c.weights);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(weights);
        }

        @Override
        public String toString() {
            return "classes" + Arrays.toString(weights);
        }
    }

    /** A text-encoder embedding (for example CLIP's [77, 768] hidden states) for one row. */
    record Embedding(Tensor hiddenStates) implements Conditioning {
    }
}
