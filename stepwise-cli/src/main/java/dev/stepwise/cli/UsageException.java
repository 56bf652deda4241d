package dev.stepwise.cli;

/**
 * Bad input from the user (a value out of range, a malformed file, an unknown name): reported as one line
 * on stderr with exit code 2, before any output file is touched.
 */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message, null, false, false);
    }
}
