package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code stepwise noise} against torch's and A1111's own noise: the fixtures core's tests use (made by
 * tools/fixtures/make_torch_noise.py and make_philox_noise.py), read from stepwise-core's test resources.
 */
class NoiseCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FIXTURES = Path.of("..", "stepwise-core", "src", "test", "resources", "fixtures");

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"cpu, 0, randn_s0_n16384.npy", "cpu, -3, randn_s-3_n16384.npy", "cpu, 4294967301, randn_s4294967301_n16384.npy",
        "nv, 0, philox_s0_n16384.npy", "nv, 42, philox_s42_n16384.npy"})
    void writesTheSeedsNoiseBitForBit(String rng, String seed, String fixture) throws IOException {
        Path out = dir.resolve("noise.npy");
        Cli.Result r = Cli.run("noise", "--rng", rng, "--seed", seed, "--shape", "1,4,64,64", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().contains("16384 values") && r.out().contains(out.toString()), r.out());
        Tensor t = Npy.read(out);
        assertArrayEquals(new int[] {1, 4, 64, 64}, t.shape());
        float[] want = Npy.read(FIXTURES.resolve(fixture)).data();
        assertEquals(want.length, t.data().length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(t.data()[i]), fixture + " index " + i);
        }
        JsonNode j = JSON.readTree(SampleCommand.sidecar(out).toFile());
        assertEquals(rng, j.get("rng").asText());
        assertEquals(Long.parseLong(seed), j.get("seed").asLong());
        assertEquals(4, j.get("shape").size());
        assertEquals("float32", j.get("dtype").asText());
        assertTrue(j.get("command").asText().startsWith("stepwise noise"), j.toString());
    }

    /** Seeds above 2^63 are taken as torch and Python take them: the same 64 bits as the negative long. */
    @Test
    void unsignedSeedsAboveLongMaxAreTheirTwosComplement() throws IOException {
        Path a = dir.resolve("a.npy"), b = dir.resolve("b.npy");
        assertEquals(0, Cli.run("noise", "--seed", "18446744073709551613", "--shape", "100", "--out", a.toString()).code());
        assertEquals(0, Cli.run("noise", "--seed", "-3", "--shape", "100", "--out", b.toString()).code());
        assertArrayEquals(Npy.read(a).data(), Npy.read(b).data());
        assertArrayEquals(Npy.read(FIXTURES.resolve("randn_s-3_n100.npy")).data(), Npy.read(a).data());
    }

    /** What sample starts from: the same seed through --rng changes its result, recorded in its sidecar. */
    @Test
    void sampleTakesTheRngToo() throws IOException {
        Path cpu = dir.resolve("cpu.npy"), nv = dir.resolve("nv.npy");
        assertEquals(0, Cli.run("sample", "--seed", "5", "--steps", "4", "--out", cpu.toString()).code());
        Cli.Result r = Cli.run("sample", "--seed", "5", "--steps", "4", "--rng", "nv", "--out", nv.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("cpu", JSON.readTree(SampleCommand.sidecar(cpu).toFile()).get("rng").asText());
        assertEquals("nv", JSON.readTree(SampleCommand.sidecar(nv).toFile()).get("rng").asText());
        assertNotEquals(Npy.read(cpu).data()[0], Npy.read(nv).data()[0]);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--rng|gpu|rng 'gpu' is not known; use cpu",
        "--shape|1,0,64|--shape '1,0,64' is not allowed; give positive sizes",
        "--shape|1,x|--shape '1,x' is not allowed; give positive sizes",
        "--shape|''|--shape '' is not allowed",
        "--shape|65536,65536|more than one array holds",
        "--seed|1.5|--seed '1.5' is not allowed; give an integer from -2^63 to 2^64 - 1",
        "--seed|18446744073709551616|--seed '18446744073709551616' is not allowed",
    })
    void badInputIsOneLineExitTwoAndWritesNothing(String option, String value, String message) {
        Path out = dir.resolve("bad.npy");
        String[] args = option.equals("--shape")
                ? new String[] {"noise", "--shape", value, "--out", out.toString()}
                : new String[] {"noise", option, value, "--shape", "1,4,8,8", "--out", out.toString()};
        Cli.Result r = Cli.run(args);
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains(message), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(SampleCommand.sidecar(out)));
    }

    @Test
    void aMissingShapeIsAUsageError() {
        Cli.Result r = Cli.run("noise", "--out", dir.resolve("x.npy").toString());
        assertEquals(2, r.code());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains("--shape"), r.err());
    }
}
