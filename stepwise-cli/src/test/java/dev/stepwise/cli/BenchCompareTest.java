package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code stepwise bench compare}'s command line (the benchmark itself is run by hand, not by the tests). */
class BenchCompareTest {
    @Test
    void helpDescribesTheBenchmark() {
        Cli.Result r = Cli.run("bench", "compare", "--help");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().contains("Usage: stepwise bench compare"), r.out());
        for (String option : new String[] {"--model", "--seeds", "--reference", "--parallel", "--device", "--threads"}) {
            assertTrue(r.out().contains(option), option + " missing from\n" + r.out());
        }
    }

    @Test
    void benchWithoutABenchmarkNamesBoth() {
        Cli.Result r = Cli.run("bench");
        assertEquals(Main.USAGE, r.code());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains("generate, compare or pipeline"), r.err());
    }

    /** Each is refused before the model is opened or anything runs: exit 2 and one line naming the value. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--seeds 0       | --seeds 0",
            "--parallel -1   | --parallel -1",
            "--reference heun/karras | heun/karras",
            "--reference heun/karras/x | 'x'",
            "--model gmm:builtin | gmm:builtin",
            "--threads -2    | --threads -2",
            "--colour red    | --colour"})
    void badOptionsExitWithTwo(String args, String named) {
        String[] a = ("bench compare " + args.strip()).split(" +");
        Cli.Result r = Cli.run(a);
        assertEquals(Main.USAGE, r.code(), r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains(named.strip()), r.err());
        assertEquals("", r.out());
    }
}
