package dev.stepwise.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the command line in-process with captured output. */
final class Cli {
    private Cli() {
    }

    record Result(int code, String out, String err) {
        long errLines() {
            return err.strip().lines().count();
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            code = Main.execute(args, o, e);
        }
        return new Result(code, out.toString(), err.toString());
    }
}
