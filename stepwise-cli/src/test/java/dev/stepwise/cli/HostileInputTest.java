package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a hostile user tried (issue 16), each in a JVM of its own so that a crash of the process shows: every case
 * either works or gets exit 2 with one printable line, never a crash, a stack trace or an output left behind.
 */
class HostileInputTest {
    @TempDir
    Path dir;

    private static final String LONG_NAME = "x".repeat(64 * 1024);
    /** 2,000 step counts (9 KB of command line): with every sampler, scheduler and a million seeds, 1e12 cells. */
    private static final String MANY_STEPS = java.util.stream.IntStream.rangeClosed(1, 2000).mapToObj(Integer::toString)
            .collect(java.util.stream.Collectors.joining(","));
    /** A 64 KB prompt the built-in model can take: 13,000 terms of one class. */
    private static final String LONG_PROMPT = String.join(", ", java.util.Collections.nCopies(13_000, "bag"));

    @BeforeEach
    void fixtures() throws IOException {
        byte[] binary = new byte[4096];
        new java.util.Random(16).nextBytes(binary);
        Files.write(dir.resolve("binary.yaml"), binary);
        Files.write(dir.resolve("binary.txt"), binary);
        Files.writeString(dir.resolve("huge-std.json"), "{\"dim\": 2, \"components\": [{\"weight\": 1, \"mean\": [0, 0], \"std\": 1e300}]}");
        dev.stepwise.core.io.Npy.write(dev.stepwise.core.tensor.Tensor.wrap(new float[] {Float.NaN, 0}, 1, 2),
                dir.resolve("nan-noise.npy"));
        // A plan holding a 1 MB prompt, given as a file (the command line stays short).
        Files.writeString(dir.resolve("big-prompt.yaml"), "model: fashion-eps\nsamplers: [euler]\nschedulers: [karras]\n"
                + "steps: [2]\nseeds: 1\nprompts:\n  - \"" + String.join(", ", java.util.Collections.nCopies(110_000, "sneaker"))
                + "\"\n", StandardCharsets.UTF_8);
    }

    /** A case: the arguments ({dir} = the test's folder) and what a success must have written. */
    static Stream<Arguments> cases() {
        return Stream.of(
                c("generate with a 64 KB prompt", "out.png", "generate", "--prompt", LONG_PROMPT, "--steps", "2", "-o", "{dir}/out.png"),
                c("generate with a 64 KB unknown prompt", "out.png", "generate", "--prompt", "bag" + " bag".repeat(16_000), "-o", "{dir}/out.png"),
                c("compare with a 64 KB --name", "report/summary.md", "compare", "--samplers", "euler", "--steps", "2",
                        "--prompt", "sneaker", "--seeds", "1", "--name", LONG_NAME, "--no-progress", "--out", "{dir}/report"),
                c("a plan file with a 1 MB prompt", "report/summary.md", "compare", "{dir}/big-prompt.yaml", "--no-progress", "--out", "{dir}/report"),
                c("a binary plan", "report", "compare", "{dir}/binary.yaml", "--out", "{dir}/report"),
                c("a binary --sigmas file", "out.npy", "sample", "--sigmas", "@{dir}/binary.txt", "--out", "{dir}/out.npy"),
                c("control characters in a prompt", "out.png", "generate", "--prompt", "bag\u001b[2J\u0007\nshoe\r", "-o", "{dir}/out.png"),
                c("generate --cfg 1e300", "out.png", "generate", "--prompt", "sneaker", "--cfg", "1e300", "-o", "{dir}/out.png"),
                c("sample --cfg 1e308", "out.npy", "sample", "--cfg", "1e308", "--out", "{dir}/out.npy"),
                c("sample --steps 1000000000", "out.npy", "sample", "--steps", "1000000000", "--out", "{dir}/out.npy"),
                c("sample --denoise 1e-300", "out.npy", "sample", "--denoise", "1e-300", "--out", "{dir}/out.npy"),
                c("sample --batch 2e9", "out.npy", "sample", "--batch", "2e9", "--out", "{dir}/out.npy"),
                c("sample --batch 2000000000", "out.npy", "sample", "--batch", "2000000000", "--out", "{dir}/out.npy"),
                c("generate --threads 100000", "out.png", "generate", "--prompt", "sneaker", "--threads", "100000", "-o", "{dir}/out.png"),
                c("a mixture with std 1e300", "out.npy", "sample", "--model", "gmm:{dir}/huge-std.json", "--out", "{dir}/out.npy"),
                c("init noise holding NaN", "out.npy", "sample", "--init-noise", "{dir}/nan-noise.npy", "--out", "{dir}/out.npy"),
                c("a 1.9e10-cell plan", "report", "compare", "--samplers", "all", "--schedulers", "all", "--steps",
                        MANY_STEPS,
                        "--seeds", "1-1000000", "--out", "{dir}/report"),
                c("control characters in a plan name", "report/summary.md", "compare", "--samplers", "euler", "--steps", "2",
                        "--prompt", "sneaker", "--seeds", "1", "--name", "a\u001b]0;title\u0007b", "--no-progress", "--out", "{dir}/report"));
    }

    private static Arguments c(String name, String output, String... args) {
        return Arguments.of(name, output, List.of(args));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void worksOrOneLineAndExitTwo(String name, String output, List<String> args) throws Exception {
        Jvm.Result r = Jvm.run(dir, args.stream().map(a -> a.replace("{dir}", dir.toString())).toList());
        String shown = name + ": stepwise " + String.join(" ", Jvm.abbreviated(args)) + " -> exit " + r.code() + "\n" + r.err();
        assertFalse(r.crashed(), shown);
        assertTrue(r.code() == 0 || r.code() == Main.USAGE, shown);
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), shown);
        assertPrintable(r.err(), shown);
        Path out = dir.resolve(output);
        if (r.code() == 0) {
            assertTrue(Files.exists(out), shown + "\nno " + out);
        } else {
            assertEquals(1, r.errLines(), shown);
            assertTrue(r.err().length() <= Main.MAX_MESSAGE + 200, "an error line of " + r.err().length() + " characters");
            assertFalse(Files.exists(out), shown + "\n" + out + " was left behind");
        }
        assertNoTemporaries();
    }

    @Test
    void aFifoAsOutputIsRefusedAndStaysAFifo() throws Exception {
        Path fifo = dir.resolve("pipe.npy");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        Assumptions.assumeTrue(mk.waitFor() == 0, "mkfifo is not available");
        Jvm.Result r = Jvm.run(dir, List.of("sample", "--out", fifo.toString()));
        assertEquals(Main.USAGE, r.code(), r.err());
        assertTrue(r.err().contains("FIFO") && r.err().contains(fifo.toString()), r.err());
        assertFalse(Files.isRegularFile(fifo, LinkOption.NOFOLLOW_LINKS), "the FIFO was replaced by a file");
        assertFalse(Files.exists(SampleCommand.sidecar(fifo)));
    }

    @Test
    void aSymbolicLinkIsWrittenThrough() throws Exception {
        Path real = Files.writeString(dir.resolve("real.npy"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.npy"), real.getFileName());
        Jvm.Result r = Jvm.run(dir, List.of("sample", "--steps", "3", "--out", link.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isSymbolicLink(link), "the link was replaced");
        assertTrue(Files.size(real) > 100, "the link's target holds the samples");
        assertTrue(Files.isRegularFile(SampleCommand.sidecar(link)));
    }

    @Test
    void aSidecarPathTakenByAFolderStopsTheRunBeforeAnyWrite() throws Exception {
        Path out = dir.resolve("o.npy");
        Files.createDirectory(SampleCommand.sidecar(out));
        Jvm.Result r = Jvm.run(dir, List.of("sample", "--out", out.toString()));
        assertEquals(Main.USAGE, r.code(), r.err());
        assertTrue(r.err().contains("o.npy.json") && r.err().contains("is a folder"), r.err());
        assertFalse(Files.exists(out), "the samples were written without their sidecar");
    }

    @Test
    void aFolderHoldingOtherFilesIsNoReportFolder() throws Exception {
        Path mine = Files.createDirectory(dir.resolve("mine"));
        Path notes = Files.writeString(mine.resolve("notes.txt"), "mine");
        Cli.Result r = Cli.run("compare", "--model", "gmm:builtin", "--samplers", "euler", "--steps", "2", "--seeds", "1",
                "--reference", "none", "--no-progress", "--out", mine.toString());
        assertEquals(Main.USAGE, r.code(), r.err());
        assertTrue(r.err().contains("no Stepwise report"), r.err());
        try (Stream<Path> s = Files.list(mine)) {
            assertEquals(List.of(notes), s.toList(), "the folder was written into");
        }
    }

    @Test
    void aPlanTheHarnessRefusesLeavesNoFolder() {
        // The reference's step count is checked by the run itself, after the plan check: still nothing is made.
        Path report = dir.resolve("report");
        Cli.Result r = Cli.run("compare", "--model", "gmm:builtin", "--samplers", "euler", "--steps", "2", "--seeds", "1",
                "--reference", "heun/karras/1", "--no-progress", "--out", report.toString());
        assertEquals(Main.USAGE, r.code(), r.err());
        assertTrue(r.err().contains("reference steps 1"), r.err());
        assertFalse(Files.exists(report), "the refused plan left " + report);
    }

    private void assertNoTemporaries() throws IOException {
        List<Path> tmp = new ArrayList<>();
        try (Stream<Path> all = Files.walk(dir)) {
            all.filter(p -> p.getFileName().toString().endsWith(".tmp")).forEach(tmp::add);
        }
        assertEquals(List.of(), tmp, "temporary files left behind");
    }

    /** No control character but the final newlines: a terminal shows the line as it is. */
    static void assertPrintable(String err, String shown) {
        Predicate<Integer> control = c -> c != '\n' && (Character.getType(c) == Character.CONTROL
                || Character.getType(c) == Character.FORMAT);
        assertTrue(err.codePoints().boxed().noneMatch(control), "a raw control character on stderr: " + shown);
    }

    /** Arguments for a failure message: shortened, control characters escaped. */
    static String escapedArgs(List<String> args) {
        return dev.stepwise.core.io.Printable.escape(String.join(" ", Jvm.abbreviated(args)));
    }
}
