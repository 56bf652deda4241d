package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Conditioning;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

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

    /** README.md's java block is exactly the code between the markers above (the tests run in stepwise-cli/). */
    @Test
    void readmeShowsThisCode() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        Matcher block = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(block.find(), "README.md has a ```java block");
        String source = Files.readString(Path.of("src/test/java/dev/stepwise/cli/ReadmeExampleTest.java"));
        Matcher marked = Pattern.compile("// README example begins\n(.*?)\n\s*// README example ends", Pattern.DOTALL)
                .matcher(source);
        assertTrue(marked.find());
        String code = marked.group(1).lines().map(l -> l.length() >= 8 ? l.substring(8) : l.strip())
                .collect(Collectors.joining("\n", "", "\n"));
        assertEquals(code, block.group(1));
    }
}
