package dev.stepwise.spark;

/**
 * A task's failure that the driver reports as it is, one line naming the host (a model folder an executor cannot
 * read, a model that differs from the driver's): Spark fails the job with it instead of a stack trace.
 */
final class TaskFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    /** What precedes the message in Spark's text of a failed task ("...TaskFailure: MESSAGE"). */
    static final String MARKER = TaskFailure.class.getName() + ": ";

    TaskFailure(String message) {
        super(message);
    }

    /** The message of a TaskFailure found in a failed job's cause chain or text, or null. */
    static String find(Throwable jobFailure) {
        for (Throwable t = jobFailure; t != null; t = t.getCause()) {
            if (t instanceof TaskFailure f) {
                return f.getMessage();
            }
            String m = t.getMessage();
            int at = m == null ? -1 : m.indexOf(MARKER);
            if (at >= 0) {
                return m.substring(at + MARKER.length()).lines().findFirst().orElse("").strip();
            }
        }
        return null;
    }
}
