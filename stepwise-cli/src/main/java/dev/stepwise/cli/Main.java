package dev.stepwise.cli;

import dev.stepwise.core.io.Printable;
import dev.stepwise.core.sampling.NonFiniteException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code stepwise} command. Exit codes: 0 success, 1 a runtime failure (writing the output, an internal
 * error), 2 bad input (one line on stderr naming the bad value and what is allowed; no output written).
 */
@Command(name = "stepwise", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Diffusion sampling on the JVM: ComfyUI's samplers and schedulers, run on exact models.",
        subcommands = {SampleCommand.class, GenerateCommand.class, NoiseCommand.class, CompareCommand.class,
                ErrorCurveCommand.class, OptimizeScheduleCommand.class, TuneCommand.class, BenchCommand.class, ServeCommand.class,
                ListCommand.class, MeasureCommand.class, TokensCommand.class, HelpCommand.class},
        footer = {"", "Examples:",
                "  stepwise sample --sampler dpmpp_2m --scheduler karras --steps 20 --seed 42 --batch 8 \\",
                "      --out samples.npy",
                "  stepwise generate --prompt \"sneaker\" --seed 42 -o sneaker.png",
                "  stepwise noise --rng cpu --seed 42 --shape 1,4,64,64 --out noise.npy",
                "  stepwise compare examples/compare/quick.yaml --out reports/quick",
                "  stepwise error-curve --model fashion-eps -o curve.json",
                "  stepwise serve --port 7860",
                "  stepwise list samplers",
                "  stepwise measure samplers --out docs/samplers.md",
                "  stepwise tokens --model sd15-onnx \"a (photo:1.2) of a cat\""})
public final class Main implements Runnable {
    /** Exit code for bad input. */
    public static final int USAGE = 2;
    /** Exit code for a failure while running (IO, internal error). */
    public static final int FAILURE = 1;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "give a command: sample, generate, noise, compare, error-curve, "
                + "optimize-schedule, tune, bench, serve, list, measure, tokens or help");
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = execute(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs the command line with the given streams; returns the exit code (for tests and embedding). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        try {
            return commandLine(out, err).execute(args);
        } catch (OutOfMemoryError e) {
            // Sizes are checked against the limits (--limit) first, so this is a run that was allowed but too big.
            err.println("stepwise: out of memory (" + e.getMessage() + "); use smaller sizes (--batch, --steps, a plan's"
                    + " axes) or give Java more memory, e.g. STEPWISE_JAVA_OPTS=-Xmx8g");
            err.flush();
            return FAILURE;
        }
    }

    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        // "--sigmas @file" is ours to read: don't let picocli expand @files into arguments.
        cl.setExpandAtFiles(false);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, args) -> {
            String command = ex.getCommandLine().getCommandSpec().qualifiedName();
            err.println(command + ": " + oneLine(ex.getMessage(), true) + " (see '" + command + " --help')");
            err.flush();
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            String command = commandLine.getCommandSpec().qualifiedName();
            int code;
            String message;
            boolean ours = false;
            if (ex instanceof UsageException || ex instanceof IllegalArgumentException) {
                code = USAGE;
                message = ex.getMessage();
                ours = true;
            } else if (ex instanceof IOException || ex instanceof UncheckedIOException) {
                code = FAILURE;
                message = ex.getMessage();
            } else if (ex instanceof NonFiniteException) {
                // The input was in range but the run diverged: a failure while running, reported like one. Only
                // compare gets here with files written (its cells record their own divergence; this is a reference).
                code = FAILURE;
                message = ex.getMessage() + (command.equals("stepwise compare")
                        ? "; the cells finished so far are kept" : "; nothing was written")
                        + " (a lower --cfg or another sampler may keep it finite)";
            } else if (ex instanceof ArithmeticException) {
                // A measurement that diverged (error-curve's prediction went non-finite): nothing was written.
                code = FAILURE;
                message = ex.getMessage() + "; nothing was written";
            } else if (ex instanceof CancellationException) {
                code = FAILURE;
                message = "interrupted; nothing was written";
            } else {
                code = FAILURE;
                message = "internal error: " + ex + " (set STEPWISE_DEBUG=1 for the stack trace)";
            }
            err.println(command + ": " + oneLine(message, ours));
            if (System.getenv("STEPWISE_DEBUG") != null) {
                ex.printStackTrace(err);
            }
            err.flush();
            return code;
        });
        return cl;
    }

    /** Arguments as a shell would need them: plain words as they are, anything else single-quoted. */
    static String quoted(List<String> args) {
        return args.stream().map(a -> a.matches("[A-Za-z0-9_./:@=,+-]+") ? a : "'" + a.replace("'", "'\\''") + "'")
                .collect(Collectors.joining(" "));
    }

    /** The longest error line printed; longer ones (a 64 KB prompt quoted back) lose their middle. */
    static final int MAX_MESSAGE = 2000;

    /**
     * A message as one printable line: control characters escaped, at most {@link #MAX_MESSAGE} characters, "error"
     * when there is none. Our own messages ({@code whole}: bad input) are one line by construction, so a newline in
     * them comes from the user's text and is escaped with the rest; a library's message (an IO or internal error)
     * keeps its first line only, the rest being detail such as a parser's location.
     */
    static String oneLine(String message, boolean whole) {
        if (message == null || message.isBlank()) {
            return "error";
        }
        String line = whole ? message.strip() : message.strip().lines().findFirst().orElse("error").strip();
        return Printable.abbreviate(Printable.escape(line), MAX_MESSAGE);
    }
}
