package dev.stepwise.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

    /** stepwise-onnx's tiny fixture models (target/test-classes/fixtures: tiny-eps and its kin). */
    static Path fixtureModels() {
        try {
            return Path.of(Cli.class.getResource("/fixtures/tiny-eps/model.json").toURI()).getParent().getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Makes the fixture models the models home, so that their names resolve; returns their folder. */
    static Path useFixtureModels() {
        Path fixtures = fixtureModels();
        System.setProperty("stepwise.models", fixtures.toString());
        return fixtures;
    }

    static void clearModels() {
        System.clearProperty("stepwise.models");
    }

    /** {@code stepwise compare --out OUT --parallel 2 --no-progress ARGS...} */
    static Result compare(Path out, String... args) {
        List<String> a = new ArrayList<>(List.of("compare", "--out", out.toString(), "--parallel", "2", "--no-progress"));
        a.addAll(List.of(args));
        return run(a.toArray(String[]::new));
    }
}
