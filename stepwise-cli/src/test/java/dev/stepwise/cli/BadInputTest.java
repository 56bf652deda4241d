package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The error standard: bad input gets exit code 2 and one line on stderr naming the bad value and what is
 * allowed, no stack trace, and no output file: a missing one is not created, an existing one is left as it was.
 */
class BadInputTest {
    @TempDir
    Path dir;

    @BeforeEach
    void fixtures() throws IOException {
        spec("not-json.json", "{\"dim\": 2, \"components\": [");
        spec("unknown-key.json", "{\"dim\": 2, \"colour\": 1, \"components\": [{\"weight\": 1, \"mean\": [0, 0], \"std\": 1}]}");
        spec("unknown-component-key.json", "{\"dim\": 2, \"components\": [{\"weight\": 1, \"mean\": [0, 0], \"sd\": 1}]}");
        spec("no-components.json", "{\"dim\": 2}");
        spec("no-dim.json", "{\"components\": [{\"weight\": 1, \"mean\": [0, 0], \"std\": 1}]}");
        spec("dim-text.json", "{\"dim\": \"two\", \"components\": [{\"weight\": 1, \"mean\": [0, 0], \"std\": 1}]}");
        spec("mean-length.json", "{\"dim\": 2, \"components\": [{\"weight\": 1, \"mean\": [0, 0, 0], \"std\": 1}]}");
        spec("mean-text.json", "{\"dim\": 2, \"components\": [{\"weight\": 1, \"mean\": [0, \"x\"], \"std\": 1}]}");
        spec("negative-std.json", "{\"dim\": 2, \"components\": [{\"weight\": 1, \"mean\": [0, 0], \"std\": -1}]}");
        spec("negative-weight.json", "{\"dim\": 2, \"components\": [{\"weight\": -0.5, \"mean\": [0, 0], \"std\": 1}]}");
        spec("missing-std.json", "{\"dim\": 2, \"components\": [{\"weight\": 1, \"mean\": [0, 0]}]}");
        spec("bad-label.json", "{\"dim\": 2, \"components\": [{\"weight\": 1, \"mean\": [0, 0], \"std\": 1, \"label\": 1.5}]}");
        spec("sigma-order.json", "{\"dim\": 2, \"components\": [{\"weight\": 1, \"mean\": [0, 0], \"std\": 1}], \"sigma_min\": 5, \"sigma_max\": 1}");
        spec("unlabelled.json", "{\"dim\": 2, \"components\": [{\"weight\": 1, \"mean\": [0, 0], \"std\": 1}]}");
        Npy.write(Tensor.zeros(3, 2), dir.resolve("noise-3x2.npy"));
        Npy.write(Tensor.zeros(4, 3), dir.resolve("noise-4x3.npy"));
        Files.writeString(dir.resolve("not-npy.npy"), "hello");
        Files.writeString(dir.resolve("rising.txt"), "1 2 0");
        Files.createDirectory(dir.resolve("folder.npy"));
    }

    private void spec(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                c("unknown sampler '-nope'", "--sampler", "-nope"),
                c("unknown sampler 'nope'; allowed: euler", "--sampler", "nope"),
                c("unknown scheduler 'nope'; allowed: normal", "--scheduler", "nope"),
                c("--steps 0", "--steps", "0"),
                c("--steps -3", "--steps", "-3"),
                c("'abc' is not an int", "--steps", "abc"),
                c("--cfg NaN", "--cfg", "NaN"),
                c("--cfg -1.0", "--cfg", "-1"),
                c("--cfg Infinity", "--cfg", "Infinity"),
                c("--denoise 0.0 is not allowed; denoise must be in (0, 1]", "--denoise", "0"),
                c("--denoise 1.5", "--denoise", "1.5"),
                c("--denoise NaN", "--denoise", "NaN"),
                c("--batch 0", "--batch", "0"),
                c("does not exist", "--model", "gmm:{dir}/missing.json"),
                c("--model 'sd15' is not supported; allowed: gmm:", "--model", "sd15"),
                c("not-json.json is not valid JSON", "--model", "gmm:{dir}/not-json.json"),
                c("unknown key 'colour'; allowed: dim, components, sigma_min, sigma_max", "--model", "gmm:{dir}/unknown-key.json"),
                c("unknown key 'components[0].sd'; allowed: weight, mean, std, label", "--model", "gmm:{dir}/unknown-component-key.json"),
                c("missing field 'components'", "--model", "gmm:{dir}/no-components.json"),
                c("missing field 'dim'", "--model", "gmm:{dir}/no-dim.json"),
                c("dim must be an integer >= 1, got a string \"two\"", "--model", "gmm:{dir}/dim-text.json"),
                c("components[0].mean has 3 values but dim is 2", "--model", "gmm:{dir}/mean-length.json"),
                c("components[0].mean[1] must be a number", "--model", "gmm:{dir}/mean-text.json"),
                c("components[0].std = -1.0 is not allowed; std must be >= 0", "--model", "gmm:{dir}/negative-std.json"),
                c("components[0].weight = -0.5 is not allowed; a weight must be > 0", "--model", "gmm:{dir}/negative-weight.json"),
                c("missing field 'components[0].std'", "--model", "gmm:{dir}/missing-std.json"),
                c("components[0].label must be an integer >= 0", "--model", "gmm:{dir}/bad-label.json"),
                c("sigma_max = 1.0 must be greater than sigma_min = 5.0", "--model", "gmm:{dir}/sigma-order.json"),
                c("has shape [3, 2] but --batch and the model's dimension need [4, 2]", "--batch", "4", "--init-noise", "{dir}/noise-3x2.npy"),
                c("has shape [4, 3] but --batch and the model's dimension need [4, 2]", "--batch", "4", "--init-noise", "{dir}/noise-4x3.npy"),
                c("--init-noise file", "--init-noise", "{dir}/missing.npy"),
                c("is not a .npy file", "--init-noise", "{dir}/not-npy.npy"),
                c("sampler euler_ancestral: eta = -1 is out of range; allowed: [0, inf)", "--sampler", "euler_ancestral", "-P", "eta=-1"),
                c("sampler euler_ancestral: eta = 'abc' is not a number", "--sampler", "euler_ancestral", "-P", "eta=abc"),
                c("sampler euler has no parameter 'eta'; allowed: s_churn", "--sampler", "euler", "-P", "eta=0.5"),
                c("KEY=VALUE", "-P", "eta"),
                c("scheduler karras: rho = 0 is out of range; allowed: (0, inf)", "--scheduler", "karras", "-S", "rho=0"),
                c("scheduler normal has no parameter 'rho'; it has no parameters", "--scheduler", "normal", "-S", "rho=7"),
                c("sigmas must decrease strictly", "--sigmas", "1,2,0"),
                c("--sigmas: sigma 'abc' is not a number", "--sigmas", "5,abc,0"),
                c("a sigma list needs at least 2 values", "--sigmas", "5"),
                c("--sigmas file", "--sigmas", "@{dir}/missing.txt"),
                c("sigmas must decrease strictly", "--sigmas", "@{dir}/rising.txt"),
                c("--label 99 is not allowed; the model's labels are 0..7", "--label", "99"),
                c("--negative-label -1 is not allowed; the model's labels are 0..7", "--negative-label", "-1"),
                c("--label 0 is not allowed: the model's components have no \"label\"", "--model", "gmm:{dir}/unlabelled.json", "--label", "0"),
                c("--noise 'whisper' is not available; allowed: ", "--noise", "whisper"),
                c("cannot read model spec", "--model", "gmm:{dir}/folder.npy"),
                c("--init-noise: ", "--init-noise", "{dir}/folder.npy"),
                c("cannot read --sigmas file", "--sigmas", "@{dir}/folder.npy"),
                c("Unknown option: '--frobnicate'", "--frobnicate"),
                c("is a folder", "--out", "{dir}/folder.npy"),
                c("does not exist", "--out", "{dir}/no/such/folder/x.npy"));
    }

    private static Arguments c(String expected, String... args) {
        return Arguments.of(expected, List.of(args));
    }

    @ParameterizedTest(name = "{1} -> {0}")
    @MethodSource("cases")
    void badInputIsOneLineExitTwoAndNoOutput(String expected, List<String> args) throws IOException {
        Path out = dir.resolve("result.npy");
        Path sidecar = SampleCommand.sidecar(out);
        // Once with no output file there, once with existing ones that must survive unchanged.
        for (boolean existing : new boolean[] {false, true}) {
            if (existing) {
                Files.writeString(out, "keep me");
                Files.writeString(sidecar, "{\"keep\": true}");
            }
            Stream<String> full = Stream.concat(Stream.of("sample"), args.stream().map(a -> a.replace("{dir}", dir.toString())));
            if (!args.contains("--out")) {
                full = Stream.concat(full, Stream.of("--out", out.toString()));
            }
            Cli.Result r = Cli.run(full.toArray(String[]::new));
            assertEquals(2, r.code(), r.err());
            assertEquals(1, r.errLines(), r.err());
            assertTrue(r.err().contains(expected), r.err());
            assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r.err());
            assertEquals("", r.out());
            if (existing) {
                assertEquals("keep me", Files.readString(out));
                assertEquals("{\"keep\": true}", Files.readString(sidecar));
            } else {
                assertFalse(Files.exists(out));
                assertFalse(Files.exists(sidecar));
            }
            try (Stream<Path> files = Files.list(dir)) {
                assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("otherCommands")
    void otherBadCommandLines(List<String> args) {
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.errLines(), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    static Stream<List<String>> otherCommands() {
        return Stream.of(List.of(), List.of("sample"), List.of("list"), List.of("list", "models"), List.of("fly"));
    }
}
