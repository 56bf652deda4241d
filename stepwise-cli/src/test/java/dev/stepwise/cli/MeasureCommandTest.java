package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeasureCommandTest {

    /** A deterministic and a stochastic sampler: both tables, every column, the benchmark header. */
    @Test
    void writesTheMarkdownTableForTheNamedSamplers(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("samplers.md");
        Cli.Result r = Cli.run("measure", "samplers", "--samplers", "euler,euler_ancestral", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("measured 2 samplers"), r.out());
        String md = Files.readString(out);
        assertTrue(md.contains("`stepwise measure samplers --samplers euler,euler_ancestral --out "), md);
        assertTrue(md.contains("Noise floor"), md);
        String euler = row(md, "euler");
        String ancestral = row(md, "euler_ancestral");
        String[] e = cells(euler);
        assertEquals(9, e.length, euler);
        assertEquals("1", e[1]);
        assertEquals(1, Double.parseDouble(e[2]), 0.3, euler);
        assertEquals("1", e[3]);
        assertEquals("converging", e[4]);
        double at10 = Double.parseDouble(e[5]), at20 = Double.parseDouble(e[6]), at40 = Double.parseDouble(e[7]);
        assertTrue(at10 > at20 && at20 > at40, euler);
        String[] a = cells(ancestral);
        assertEquals("stochastic", a[4]);
        assertEquals(1, Double.parseDouble(a[2]), 0.3, ancestral);
        assertTrue(md.indexOf("## Deterministic") < md.indexOf(euler) && md.indexOf("## Stochastic") < md.indexOf(ancestral), md);
        assertFalse(md.contains("`heun`"), md);
        try (var files = Files.list(dir)) {
            assertEquals(List.of(out), files.toList(), "only the table, no temporary file left");
        }
    }

    @Test
    void csvHasOneLinePerSampler() {
        Cli.Result r = Cli.run("measure", "samplers", "--samplers", "heun,ddim", "--format", "csv");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r.out());
        assertTrue(lines.get(0).startsWith("sampler,listed_order,measured_order,"), lines.get(0));
        assertTrue(lines.get(1).startsWith("heun,2,") && lines.get(1).contains(",ode_rms,"), lines.get(1));
        assertTrue(lines.get(2).startsWith("ddim,"), lines.get(2));
        int columns = lines.get(0).split(",", -1).length;
        assertEquals(columns, lines.get(1).split(",", -1).length, lines.get(1));
        assertTrue(lines.get(0).contains(",noise_floor,noise_floor_sd,notes"), lines.get(0));
    }

    /** Without --samplers every registered sampler is measured, in registry order. */
    @Test
    void defaultSelectionIsTheWholeRegistry() {
        assertEquals(Samplers.names(), MeasureCommand.selected(null).stream().map(SamplerInfo::name).toList());
        assertEquals(List.of("euler", "heun"), MeasureCommand.selected(List.of("heun", "euler", "heun")).stream()
                .map(SamplerInfo::name).toList());
    }

    @Test
    void unknownSamplerIsBadInputNamingTheAllowedOnes(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("t.md");
        Cli.Result r = Cli.run("measure", "samplers", "--samplers", "euler,nope", "--out", out.toString());
        assertEquals(Main.USAGE, r.code(), r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains("'nope'") && r.err().contains("allowed: " + String.join(", ", Samplers.names())), r.err());
        assertFalse(Files.exists(out));
        for (String[] args : new String[][] {{"measure", "schedulers"}, {"measure", "samplers", "--format", "pdf"},
                {"measure", "samplers", "--threads", "0"}, {"measure", "samplers", "--samplers", ","},
                {"measure", "samplers", "--out", dir.resolve("missing/t.md").toString()}}) {
            Cli.Result bad = Cli.run(args);
            assertEquals(Main.USAGE, bad.code(), String.join(" ", args) + ": " + bad.err());
            assertEquals(1, bad.errLines(), bad.err());
        }
    }

    private static String row(String md, String name) {
        return md.lines().filter(l -> l.startsWith("| `" + name + "` |")).findFirst()
                .orElseThrow(() -> new AssertionError("no row for " + name + " in\n" + md));
    }

    private static String[] cells(String row) {
        String inner = row.substring(1, row.length() - 1);
        return java.util.Arrays.stream(inner.split(" \\| ", -1)).map(String::strip).toArray(String[]::new);
    }
}
