package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.harness.Cell;
import dev.stepwise.harness.CellResult;
import dev.stepwise.harness.Comparison;
import dev.stepwise.harness.MixtureSource;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.harness.ModelSource;
import dev.stepwise.harness.ModelSources;
import dev.stepwise.harness.Plan;
import dev.stepwise.harness.PlanCheck;
import dev.stepwise.harness.PlanReader;
import dev.stepwise.harness.ReportWriter;
import dev.stepwise.harness.Summaries;
import dev.stepwise.harness.Summary;
import dev.stepwise.harness.fit.ErrorCurve;
import dev.stepwise.harness.fit.ErrorCurves;
import dev.stepwise.harness.fit.FitProgress;
import dev.stepwise.onnx.OnnxOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java example of README.md: it compiles and runs here, and the README shows exactly this code. */
class ReadmeExampleTest {

    @Test
    void readmeJavaExample() {
        // README example begins
        var mixture = new GaussianMixture(2, List.of(
                new GaussianMixture.Component(0.5, new double[] {-2, 0}, 0.3, 0),
                new GaussianMixture.Component(0.5, new double[] {2, 0}, 0.3, 1)), 0.002, 80);
        SampleResult result = Stepwise.sample(SampleRequest.builder(mixture.model("two blobs"))
                .sampler("euler_ancestral").samplerParameter("eta", 0.5)
                .scheduler("karras").steps(20)
                .prompt(Conditioning.label(1, mixture.labelCount())).cfg(1.5)
                .seed(42).batch(8).build());
        float[] xy = result.samples().data();          // shape [8, 2], row-major
        System.out.println(result.calls().nfe() + " model calls, first sample " + xy[0] + ", " + xy[1]);
        // README example ends

        assertArrayEquals(new int[] {8, 2}, result.samples().shape());
        assertEquals(20, result.calls().nfe());
        assertEquals(20, result.calls().uncondPasses(), "cfg 1.5 runs the unconditional branch too");
    }

    @Test
    void readmeHarnessExample() throws IOException {
        // README harness example begins
        Plan plan = PlanReader.parse("""
                model: gmm:builtin
                samplers: [euler, heun, dpmpp_2m]
                schedulers: [karras]
                nfe: [10, 20]
                seeds: 1-2
                batch: 1024
                """.getBytes(StandardCharsets.UTF_8), true, "my plan", Path.of(""));
        List<Cell> cells = PlanCheck.check(plan, ModelFolders.home());   // a PlanException before anything runs
        Path report = Path.of("target", "ring-report");
        Summary summary;
        try (ModelSource model = ModelSources.open(plan, ModelFolders.home(), OnnxOptions.defaults())) {
            List<CellResult> results = Comparison.run(plan, cells, model, report, Comparison.Listener.NONE);
            summary = Summaries.of(plan, cells, results, report, null, null);
            ReportWriter.write(summary, plan, results, report);   // summary.md, index.html, CSV, JSON
        }
        summary.rows().forEach(r -> System.out.println(r.config().label() + ": sliced W1 " + r.slicedW1()));
        // README harness example ends

        assertEquals(12, cells.size());
        assertTrue(Files.isRegularFile(report.resolve("summary.md")));
        // At 20 model calls the second-order multistep sampler is closer to the converged ODE solution than euler.
        double euler = summary.rows().get(1).referenceDistance(), dpmpp2m = summary.rows().get(5).referenceDistance();
        assertEquals("euler", summary.rows().get(1).config().sampler().name());
        assertEquals("dpmpp_2m", summary.rows().get(5).config().sampler().name());
        assertTrue(dpmpp2m < 0.5 * euler, "dpmpp_2m " + dpmpp2m + " vs euler " + euler);
    }

    @Test
    void readmeErrorCurveExample(@TempDir Path tmp) throws IOException {
        MixtureSource ring = ModelSources.mixture(ModelSources.BUILT_IN_MIXTURE, "test");
        Path file = tmp.resolve("curve.json");
        ErrorCurves.mixture(ring, 1, new ErrorCurves.Settings(20, 256, 0, false, 2), FitProgress.NONE).write(file);
        Model model = ring.mixture().model(ring.name());
        // README error curve example begins
        ErrorCurve curve = ErrorCurve.read(file);                    // every check; a problem is one line naming the file
        curve.requireModel(model.name(), model.sampling());          // refuses another model's curve, naming both
        double mse = curve.mseAt(1.0);                               // linear in log sigma between measured levels
        // README error curve example ends

        assertTrue(mse > 0 && mse < 1, "MSE " + mse);
    }

    /** README.md's java blocks are exactly the code between the markers above (the tests run in stepwise-cli/). */
    @Test
    void readmeShowsThisCode() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        Matcher block = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
        String source = Files.readString(Path.of("src/test/java/dev/stepwise/cli/ReadmeExampleTest.java"));
        for (String name : List.of("example", "harness example", "error curve example")) {
            assertTrue(block.find(), "README.md has a ```java block for the " + name);
            Matcher marked = Pattern.compile("// README " + name + " begins\n(.*?)\n\s*// README " + name + " ends",
                    Pattern.DOTALL).matcher(source);
            assertTrue(marked.find());
            String code = marked.group(1).lines().map(l -> l.length() >= 8 ? l.substring(8) : l.strip())
                    .collect(Collectors.joining("\n", "", "\n"));
            assertEquals(code, block.group(1), name);
        }
    }
}
