package dev.stepwise.core.guidance;

import dev.stepwise.core.model.Conditioning;
import java.util.Collections;
import java.util.List;

/** The positive and negative (unconditional) conditioning of every batch row. */
public record Conditions(List<Conditioning> positive, List<Conditioning> negative) {
    public Conditions {
        positive = List.copyOf(positive);
        negative = List.copyOf(negative);
        if (positive.size() != negative.size()) {
            throw new IllegalArgumentException(positive.size() + " positive but " + negative.size() + " negative conditionings");
        }
    }

    /** The same positive and negative conditioning on every one of {@code batch} rows. */
    public static Conditions of(Conditioning positive, Conditioning negative, int batch) {
        return new Conditions(Collections.nCopies(batch, positive), Collections.nCopies(batch, negative));
    }

    /** No conditioning: both branches are the unconditional model. */
    public static Conditions unconditional(int batch) {
        return of(Conditioning.NONE, Conditioning.NONE, batch);
    }

    public int batch() {
        return positive.size();
    }
}
