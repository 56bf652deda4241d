package dev.stepwise.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stepwise.harness.Cell;
import dev.stepwise.harness.CellResult;
import dev.stepwise.harness.CellStore;
import dev.stepwise.harness.Comparison;
import dev.stepwise.harness.ModelSource;
import dev.stepwise.harness.ModelSources;
import dev.stepwise.harness.Plan;
import dev.stepwise.harness.PlanCheck;
import dev.stepwise.harness.PlanReader;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Test plans, runs of both engines, and the comparison of their cells. */
final class Runs {
    /** The repository's models folder (tests run in the module's folder). */
    static final Path MODELS = Path.of("..", "models").toAbsolutePath().normalize();

    static {
        System.setProperty("stepwise.models", MODELS.toString());
    }

    private Runs() {
    }

    /** Four cells on the built-in image model, no reference solve. */
    static final String IMAGE_PLAN = """
            name: spark image
            model: fashion-eps
            samplers: [euler, dpmpp_2m]
            schedulers: [karras]
            steps: [3]
            cfg: 3
            prompts: [sneaker]
            seeds: 1-2
            reference: false
            """;

    /** Eight cells on the built-in mixture, measured against a small reference solve (shared by the tasks). */
    static final String MIXTURE_PLAN = """
            name: spark mixture
            model: gmm:builtin
            samplers: [euler, heun, euler_ancestral, dpmpp_2m]
            schedulers: [karras]
            steps: [4]
            prompts: [""]
            seeds: 1-2
            batch: 256
            reference: {sampler: heun, scheduler: karras, steps: 8}
            """;

    static Path write(Path dir, String name, String text) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(name), text);
    }

    /** An engine's exit code and what it printed. */
    record Result(int code, String out, String err) {
    }

    static Result spark(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = SparkCompare.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * The CLI's child JVM gets the driver's classpath without the CLI, whose jar's manifest would bring its
     * slf4j-simple in Spark's way.
     */
    static void childClasspath() {
        System.setProperty("stepwise.spark.classpath", Arrays.stream(System.getProperty("java.class.path")
                .split(File.pathSeparator)).filter(e -> !e.contains("stepwise-cli"))
                .collect(Collectors.joining(File.pathSeparator)));
    }

    /** The CLI, in this JVM. */
    static Result cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    /** The local engine with two workers of one ONNX thread each, as a local[2] Spark runs its two tasks. */
    static List<CellResult> local(Path planFile, Path out) throws IOException {
        Plan plan = PlanReader.read(planFile);
        List<Cell> cells = PlanCheck.check(plan, MODELS);
        try (ModelSource source = ModelSources.open(plan, MODELS, OnnxOptions.defaults().withThreads(1))) {
            return Comparison.run(plan, cells, source, out, Comparison.Listener.NONE);
        }
    }

    /** The number in a "timing" line: cells computed by the Spark job. */
    static long computed(Result r) {
        Optional<String> line = r.out().lines().filter(l -> l.startsWith(SparkCompare.TIMING + " ")).findFirst();
        return Long.parseLong(line.orElseThrow(() -> new AssertionError("no timing line in " + r)).split(" ")[5]);
    }

    /**
     * Every cell of the local run is in the other folder with the same samples and image bytes and the same
     * figures, and the other folder holds no other cell.
     */
    static void assertSameCells(List<CellResult> expected, Path local, Path other) throws IOException {
        CellStore store = CellStore.open(other);
        for (CellResult e : expected) {
            CellResult r = store.read(e.id()).orElseThrow(() -> new AssertionError("no cell " + e.id() + " in " + other));
            assertEquals(e.metrics(), r.metrics(), e.id());
            assertEquals(e.error(), r.error(), e.id());
            assertArrayEquals(Files.readAllBytes(local.resolve(e.samples())), Files.readAllBytes(other.resolve(r.samples())),
                    e.id());
            if (!e.image().isEmpty()) {
                assertArrayEquals(Files.readAllBytes(local.resolve(e.image())), Files.readAllBytes(other.resolve(r.image())),
                        e.id());
            }
        }
        try (Stream<Path> s = Files.list(other.resolve(CellStore.CELLS))) {
            assertEquals(expected.size(), s.count(), "files in " + other.resolve(CellStore.CELLS));
        }
    }
}
