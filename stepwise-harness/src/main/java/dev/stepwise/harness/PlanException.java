package dev.stepwise.harness;

/**
 * A plan that cannot run: one line naming the bad value, where it is (file and field) and what is allowed.
 * Thrown before anything runs or is written.
 */
public final class PlanException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public PlanException(String message) {
        super(message);
    }
}
