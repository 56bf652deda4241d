package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SampleCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /**
     * --compat a1111: image i of a batch has its own generator seeded SEED + i for its starting and step noise
     * (A1111's ImageRNG), so row i of a batch of 3 is the single sample of seed SEED + i; ComfyUI's one generator
     * over the batch does not split so. The sidecar records the profile and its NV generator.
     */
    @Test
    void theA1111ProfileSeedsEachImageOnItsOwnAndIsRecorded() throws IOException {
        String[] run = {"sample", "--sampler", "euler_ancestral", "--scheduler", "karras", "--steps", "5"};
        Path batch = dir.resolve("batch.npy");
        Cli.Result r = Cli.run(concat(run, "--compat", "a1111", "--seed", "10", "--batch", "3", "--out",
                batch.toString()));
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(SampleCommand.sidecar(batch).toFile());
        assertEquals("a1111", j.get("compat").asText());
        assertEquals("nv", j.get("rng").asText());
        float[] rows = Npy.read(batch).data();
        for (int i = 0; i < 3; i++) {
            Path one = dir.resolve("one" + i + ".npy");
            assertEquals(0, Cli.run(concat(run, "--compat", "a1111", "--seed", Integer.toString(10 + i), "--out",
                    one.toString())).code());
            assertArrayEquals(Npy.read(one).data(), Arrays.copyOfRange(rows, 2 * i, 2 * i + 2), "row " + i);
        }
        Path comfy = dir.resolve("comfy.npy");
        assertEquals(0, Cli.run(concat(run, "--rng", "nv", "--seed", "10", "--batch", "3", "--out", comfy.toString()))
                .code());
        assertEquals("comfyui", JSON.readTree(SampleCommand.sidecar(comfy).toFile()).get("compat").asText());
        assertFalse(Arrays.equals(rows, Npy.read(comfy).data()), "the same generator in ComfyUI's layout");
    }

    @Test
    void writesSamplesAndASidecarWithEveryParameter() throws IOException {
        Path out = dir.resolve("result.npy");
        Cli.Result r = Cli.run("sample", "--sampler", "euler_ancestral", "--scheduler", "karras", "--steps", "12",
                "--cfg", "1", "--seed", "3", "--batch", "5", "-P", "eta=0.5", "-S", "rho=5", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertEquals(1, r.out().strip().lines().count(), r.out());
        assertTrue(r.out().contains("NFE 12") && r.out().contains(out.toString()), r.out());

        Tensor t = Npy.read(out);
        assertArrayEquals(new int[] {5, 2}, t.shape());
        for (float v : t.data()) {
            assertTrue(Float.isFinite(v));
        }
        JsonNode j = JSON.readTree(SampleCommand.sidecar(out).toFile());
        assertEquals("euler_ancestral", j.get("sampler").asText());
        assertEquals(0.5, j.get("sampler_parameters").get("eta").asDouble());
        assertEquals(1.0, j.get("sampler_parameters").get("s_noise").asDouble());
        assertEquals("karras", j.get("scheduler").asText());
        assertEquals(5.0, j.get("scheduler_parameters").get("rho").asDouble());
        assertEquals(12, j.get("steps").asInt());
        assertEquals(13, j.get("sigmas").size());
        assertEquals(80.0, j.get("sigmas").get(0).asDouble(), 1e-9, "the ring's sigma_max");
        assertEquals(0.0, j.get("sigmas").get(12).asDouble());
        assertEquals(3, j.get("seed").asLong());
        assertEquals(5, j.get("batch").asInt());
        assertEquals(1.0, j.get("cfg").asDouble());
        assertEquals(1.0, j.get("denoise").asDouble());
        assertEquals(defaultNoise(), j.get("noise").asText(), "no --noise: the library's default");
        assertEquals(12, j.get("nfe").asLong());
        assertEquals(12, j.get("cond_passes").asLong());
        assertEquals(0, j.get("uncond_passes").asLong(), "cfg 1 skips the unconditional pass");
        assertEquals(12, j.get("network_calls").asLong());
        assertTrue(j.get("elapsed_ms").asDouble() > 0);
        assertEquals(Version.get(), j.get("stepwise_version").asText());
        assertEquals("built-in gmm-ring.json", j.get("model").get("source").asText());
        assertEquals(2, j.get("model").get("dim").asInt());
        assertFalse(Version.get().contains("${"), "the version resource is filtered");
    }

    static List<String> samplers() {
        return Samplers.names();
    }

    /** Every registered sampler runs from the command line and reports the model calls its registry entry promises. */
    @ParameterizedTest
    @MethodSource("samplers")
    void nfeMatchesTheRegistry(String name) throws IOException {
        Path out = dir.resolve(name + ".npy");
        Cli.Result r = Cli.run("sample", "--sampler", name, "--scheduler", "karras", "--steps", "6", "--batch", "3",
                "--seed", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(SampleCommand.sidecar(out).toFile());
        double[] sigmas = new double[j.get("sigmas").size()];
        for (int i = 0; i < sigmas.length; i++) {
            sigmas[i] = j.get("sigmas").get(i).asDouble();
        }
        SamplerInfo info = Samplers.get(name);
        if (info.adaptive()) {
            assertTrue(j.get("nfe").asLong() > 0, name + " reports the calls it made");
        } else {
            assertEquals(info.expectedNfe(sigmas), j.get("nfe").asLong());
        }
        assertEquals(6, j.get("steps").asInt());
        assertArrayEquals(new int[] {3, 2}, Npy.read(out).shape());
    }

    /**
     * The samples follow the ring: radius 4 with spread 0.25, so the mean radius of 400 samples has a
     * standard error of about 0.0125; 0.1 allows 8 of those for the solver's bias at 30 steps.
     */
    @Test
    void samplesLieOnTheRingAndALabelPicksItsComponent() throws IOException {
        Path all = dir.resolve("all.npy"), two = dir.resolve("two.npy");
        assertEquals(0, Cli.run("sample", "--scheduler", "karras", "--steps", "30", "--batch", "400", "--seed", "5",
                "--out", all.toString()).code());
        float[] a = Npy.read(all).data();
        double radius = 0;
        for (int i = 0; i < 400; i++) {
            radius += Math.hypot(a[2 * i], a[2 * i + 1]) / 400;
        }
        assertEquals(4, radius, 0.1);

        // Label 2 is the component at (0, 4): the conditional mean is (0, 4), standard error 0.0125 per axis.
        assertEquals(0, Cli.run("sample", "--scheduler", "karras", "--steps", "30", "--batch", "400", "--seed", "5",
                "--label", "2", "--out", two.toString()).code());
        float[] b = Npy.read(two).data();
        double mx = 0, my = 0;
        for (int i = 0; i < 400; i++) {
            mx += b[2 * i] / 400.0;
            my += b[2 * i + 1] / 400.0;
        }
        assertEquals(0, mx, 0.1);
        assertEquals(4, my, 0.1);
    }

    /** Guidance toward label 0 against label 4 runs a conditional and an unconditional pass per model call. */
    @Test
    void guidanceCountsBothPasses() throws IOException {
        Path out = dir.resolve("cfg.npy");
        Cli.Result r = Cli.run("sample", "--steps", "8", "--batch", "4", "--cfg", "3", "--label", "0",
                "--negative-label", "4", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(SampleCommand.sidecar(out).toFile());
        assertEquals(8, j.get("nfe").asLong());
        assertEquals(8, j.get("cond_passes").asLong());
        assertEquals(8, j.get("uncond_passes").asLong());
        assertEquals(0, j.get("label").asInt());
        assertEquals(4, j.get("negative_label").asInt());
    }

    @Test
    void sameSeedSameBytesAndInitNoiseEqualsTheSeedsNoise() throws IOException {
        Path a = dir.resolve("a.npy"), b = dir.resolve("b.npy"), c = dir.resolve("c.npy"), noise = dir.resolve("noise.npy");
        String[] common = {"sample", "--sampler", "euler", "--scheduler", "karras", "--steps", "10", "--batch", "6"};
        assertEquals(0, Cli.run(concat(common, "--seed", "42", "--out", a.toString())).code());
        assertEquals(0, Cli.run(concat(common, "--seed", "42", "--out", b.toString())).code());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));

        // torch.manual_seed(42); torch.randn(6, 2) is the seed's starting noise, so giving it explicitly
        // (under another seed) must reproduce the deterministic sampler's result exactly.
        float[] n = new float[12];
        new TorchGenerator(42).randn(n);
        Npy.write(Tensor.wrap(n, 6, 2), noise);
        Cli.Result r = Cli.run(concat(common, "--seed", "999", "--init-noise", noise.toString(), "--out", c.toString()));
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Npy.read(a).data(), Npy.read(c).data());
        assertEquals(noise.toString(), JSON.readTree(SampleCommand.sidecar(c).toFile()).get("init_noise").asText());
    }

    @Test
    void explicitSigmasFromTheCommandLineOrAFile() throws IOException {
        Path out = dir.resolve("s.npy"), list = dir.resolve("sigmas.txt");
        Cli.Result r = Cli.run("sample", "--sampler", "euler", "--sigmas", "14.6,7.2, 3.1 1,0", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(SampleCommand.sidecar(out).toFile());
        assertEquals("[14.6,7.2,3.1,1.0,0.0]", j.get("sigmas").toString());
        assertEquals(4, j.get("nfe").asLong());
        assertTrue(j.get("scheduler").isNull());

        Files.writeString(list, "20\n10, 5\n\t1 0\n");
        r = Cli.run("sample", "--sigmas", "@" + list, "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("[20.0,10.0,5.0,1.0,0.0]", JSON.readTree(SampleCommand.sidecar(out).toFile()).get("sigmas").toString());
    }

    @Test
    void aMixtureSpecFromAFile() throws IOException {
        Path spec = dir.resolve("spec.json"), out = dir.resolve("m.npy");
        Files.writeString(spec, """
                {"dim": 3, "components": [{"weight": 1, "mean": [1, 2, 3], "std": 0.1}]}""");
        Cli.Result r = Cli.run("sample", "--model", "gmm:" + spec, "--scheduler", "karras", "--steps", "20",
                "--batch", "200", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Tensor t = Npy.read(out);
        assertArrayEquals(new int[] {200, 3}, t.shape());
        double[] mean = new double[3];
        for (int i = 0; i < 200; i++) {
            for (int k = 0; k < 3; k++) {
                mean[k] += t.data()[3 * i + k] / 200.0;
            }
        }
        // std 0.1 over 200 samples: standard error 0.007; 0.05 leaves room for the solver.
        assertEquals(1, mean[0], 0.05);
        assertEquals(2, mean[1], 0.05);
        assertEquals(3, mean[2], 0.05);
        JsonNode j = JSON.readTree(SampleCommand.sidecar(out).toFile());
        assertEquals("gmm:" + spec, j.get("model").get("source").asText());
        assertEquals(0.002, j.get("model").get("sigma_min").asDouble());
        assertNull(j.get("model").get("nothing"));
    }

    private static String defaultNoise() {
        var model = dev.stepwise.core.analytic.GaussianMixture.gaussian(new double[] {0}, 1, 0.002, 80).model("g");
        return SampleRequest.builder(model).build().noise().name().toLowerCase(java.util.Locale.ROOT);
    }

    @Test
    void everyNoiseKindIsAnOptionValue() throws IOException {
        for (SampleRequest.NoiseKind kind : SampleRequest.NoiseKind.values()) {
            String name = kind.name().toLowerCase(java.util.Locale.ROOT);
            Path out = dir.resolve("noise-" + name + ".npy");
            Cli.Result r = Cli.run("sample", "--sampler", "euler_ancestral", "--steps", "4", "--noise", name,
                    "--out", out.toString());
            assertEquals(0, r.code(), r.err());
            assertEquals(name, JSON.readTree(SampleCommand.sidecar(out).toFile()).get("noise").asText());
        }
    }

    /** A failure while writing (here a file name longer than the file system allows) is exit 1, one line. */
    @Test
    void aWriteFailureIsExitOneWithOneLine() {
        Path out = dir.resolve("x".repeat(300) + ".npy");
        Cli.Result r = Cli.run("sample", "--steps", "2", "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().startsWith("stepwise sample: cannot write "), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    static String[] concat(String[] a, String... b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
