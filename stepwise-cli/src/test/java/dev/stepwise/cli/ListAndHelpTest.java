package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.SchedulerInfo;
import dev.stepwise.core.schedule.Schedulers;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListAndHelpTest {

    @Test
    void listSamplersShowsEveryRegisteredSamplerWithItsFacts() {
        Cli.Result r = Cli.run("list", "samplers");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("NAME") && lines.get(0).contains("REFERENCE"), lines.get(0));
        assertEquals(Samplers.names().size() + 1, lines.size());
        for (SamplerInfo s : Samplers.all()) {
            String row = lines.stream().filter(l -> l.startsWith(s.name() + " ")).findFirst().orElseThrow(() -> new AssertionError(s.name()));
            String[] cols = row.split("\\s{2,}");
            assertEquals(Integer.toString(s.order()), cols[1], row);
            if (s.adaptive()) {
                assertEquals("adaptive", cols[2], row);
            } else if (s.nfeRule() != null) {
                assertTrue(cols[2].startsWith("varies"), row);
            } else {
                assertTrue(cols[2].startsWith(Integer.toString(s.callsPerStep())), row);
            }
            assertEquals((s.stochastic() ? "stochastic" : "converging") + (s.cfgPp() ? " + CFG++" : ""), cols[3], row);
            for (Parameter p : s.parameters()) {
                assertTrue(row.contains(p.name() + "=") && row.contains(p.rangeText()), row);
            }
            assertTrue(row.endsWith(s.reference()), row);
        }
    }

    @Test
    void listSchedulersShowsEveryRegisteredScheduler() {
        Cli.Result r = Cli.run("list", "schedulers");
        assertEquals(0, r.code(), r.err());
        for (SchedulerInfo s : Schedulers.all()) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(s.name() + " ") && l.endsWith(s.reference())), s.name());
        }
        assertTrue(r.out().contains("rho=7 (0, inf)"), r.out());
    }

    @Test
    void helpAndVersion() {
        for (String[] args : new String[][] {{"--help"}, {"sample", "--help"}, {"list", "--help"}, {"help", "sample"}}) {
            Cli.Result r = Cli.run(args);
            assertEquals(0, r.code(), String.join(" ", args));
            assertTrue(r.out().contains("Usage:"), r.out());
        }
        assertTrue(Cli.run("sample", "--help").out().contains("--init-noise"));
        Cli.Result v = Cli.run("--version");
        assertEquals(0, v.code());
        assertTrue(v.out().startsWith("stepwise " + Version.get()), v.out());
    }
}
