package dev.stepwise.harness;

/**
 * A bad generation setting: names the setting ({@link #field}, as the Java API and the server's JSON call it:
 * "steps", "prompt") and says what is allowed. The command line reports it against its option ("--steps"), the
 * server as a 400 with the field in the body.
 */
public final class SettingException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String field;
    private final boolean named;

    /** A message that names the setting its own way ("unknown sampler 'x'; ..."). */
    public SettingException(String field, String message) {
        this(field, message, false);
    }

    private SettingException(String field, String message, boolean named) {
        super(message, null);
        this.field = field;
        this.named = named;
    }

    /** A message that starts with the setting's name: "steps 0 is not allowed; ...", "prompt: ...". */
    public static SettingException named(String field, String message) {
        return new SettingException(field, message, true);
    }

    /** The setting's name: "steps", "sampler", "prompt". */
    public String field() {
        return field;
    }

    /**
     * The message against a command-line option: "--steps 0 is not allowed; ..." for a message that starts with the
     * setting's name ({@link #named}), as it is otherwise.
     */
    public String againstOption(String prefix) {
        return named ? prefix + getMessage() : getMessage();
    }
}
