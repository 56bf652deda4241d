package dev.stepwise.server;

/**
 * A request the server refuses: an HTTP status (4xx) and one line naming the field and what is allowed. The body
 * is {@code {"error": message, "field": field}}; no stack trace ever reaches a client.
 */
public final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String field;

    public ApiException(int status, String field, String message) {
        super(message, null, false, false);
        this.status = status;
        this.field = field;
    }

    /** 400 for a bad field. */
    public static ApiException bad(String field, String message) {
        return new ApiException(400, field, message);
    }

    public int status() {
        return status;
    }

    /** The request field at fault, or null when the request as a whole is. */
    public String field() {
        return field;
    }
}
