package dev.stepwise.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the command line in a JVM of its own, as {@code ./stepwise} does, so that a crash of the process (a
 * native stack overflow, a signal) is seen as a crash: an exit code of 128 + the signal, not a failed assertion
 * inside a dead test JVM.
 */
final class Jvm {
    /** The repository root, seen from the module folder Surefire runs in: models/ lies there. */
    static final Path HOME = Path.of("..").toAbsolutePath().normalize();

    private Jvm() {
    }

    record Result(int code, String out, String err) {
        long errLines() {
            return err.strip().lines().count();
        }

        /** Exit codes above 128 are deaths by a signal (139 = SIGSEGV), 134 an abort. */
        boolean crashed() {
            return code > 128;
        }
    }

    static Result run(Path workDir, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-Xmx1g");
        cmd.add("-Dstepwise.home=" + HOME);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        Path out = Files.createTempFile(workDir, ".stdout", ".txt"), err = Files.createTempFile(workDir, ".stderr", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).start();
            p.getOutputStream().close();   // no standard input, as in CI
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("stepwise " + String.join(" ", abbreviated(args)) + " ran over 120 s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Arguments shortened for a failure message (a 64 KB prompt would drown it). */
    static List<String> abbreviated(List<String> args) {
        return args.stream().map(a -> a.length() > 80 ? a.substring(0, 40) + "...(" + a.length() + " chars)" : a).toList();
    }
}
