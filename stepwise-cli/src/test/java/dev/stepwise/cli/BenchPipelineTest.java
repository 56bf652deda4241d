package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code stepwise bench pipeline} on the tiny SD1 fixture (real-size timings are run by hand; see the README). */
class BenchPipelineTest {
    private static String sd1() throws Exception {
        return Path.of(BenchPipelineTest.class.getResource("/sd/sd1/model_index.json").toURI()).getParent().toString();
    }

    @Test
    void reportsEveryPart() throws Exception {
        Cli.Result r = Cli.run("bench", "pipeline", "--model", sd1(), "--steps", "2", "--width", "64");
        assertEquals(0, r.code(), r.err());
        for (String part : new String[] {"64x64, 2 steps", "text encoding", "UNet: 2 calls, 4 rows", "of a step",
                "VAE decode", "peak RSS (VmHWM)"}) {
            assertTrue(r.out().contains(part), part + " missing from\n" + r.out());
        }
    }

    @Test
    void aFolderWithoutModelIndexIsOneLine() {
        Cli.Result r = Cli.run("bench", "pipeline", "--model", "no-such-folder");
        assertEquals(Main.USAGE, r.code(), r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains("--model no-such-folder"), r.err());
    }
}
