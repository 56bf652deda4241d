package dev.stepwise.harness.fit;

/** Told after each unit of a fit's work (a noise level measured, a teacher step, a cost row): done of total. */
@FunctionalInterface
public interface FitProgress {
    FitProgress NONE = (done, total) -> { };

    void progress(int done, int total);
}
