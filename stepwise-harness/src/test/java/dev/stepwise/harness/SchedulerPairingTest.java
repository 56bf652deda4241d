package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A scheduler entry with {@code samplers: [...]} runs with those sampler configurations only. */
class SchedulerPairingTest {
    @TempDir
    Path dir;

    private Plan parse(String yaml) {
        return PlanReader.parse(yaml.getBytes(StandardCharsets.UTF_8), true, "plan.yaml", dir);
    }

    @Test
    void aRestrictedSchedulerMakesCellsOnlyWithItsSamplers() {
        Plan plan = parse("""
                model: gmm:builtin
                samplers: [euler, dpmpp_2m, {name: euler_ancestral, params: {eta: 0.5}, label: ea}]
                schedulers: [karras, {name: simple, samplers: [dpmpp_2m, ea]}, {name: exponential, samplers: [euler]}]
                steps: [4, 8]
                seeds: [1, 2]
                """);
        List<Cell> cells = Cells.expand(plan, CellsTest.MIXTURE);
        // karras with all three, simple with two, exponential with one: 6 pairs x 2 step counts x 2 seeds.
        assertEquals(6 * 2 * 2, cells.size());
        List<String> pairs = Cells.configs(cells).stream().filter(c -> c.stepAxis() == 4)
                .map(c -> c.sampler().label() + "/" + c.scheduler().label()).toList();
        assertEquals(List.of("euler/karras", "euler/exponential", "dpmpp_2m/karras", "dpmpp_2m/simple", "ea/karras",
                "ea/simple"), pairs);
        PlanCheck.check(plan, PlanReaderTest.MODELS, Limits.DEFAULT);
    }

    @Test
    void theRestrictionDoesNotChangeTheCellsIds() {
        // A cell is the same work whether or not its scheduler is restricted, so an earlier report's cells are reused.
        Plan all = parse("model: gmm:builtin\nsamplers: [euler]\nschedulers: [karras]\nsteps: [4]\nseeds: [1]\n");
        Plan only = parse("model: gmm:builtin\nsamplers: [euler]\nschedulers: [{name: karras, samplers: [euler]}]\n"
                + "steps: [4]\nseeds: [1]\n");
        assertEquals(Cells.expand(all, CellsTest.MIXTURE).get(0).id("m", 16),
                Cells.expand(only, CellsTest.MIXTURE).get(0).id("m", 16));
        assertTrue(CellStore.planJson(only).get("schedulers").get(0).has("samplers"));
        assertTrue(!CellStore.planJson(all).get("schedulers").get(0).has("samplers"));
    }

    @Test
    void anUnknownLabelOrAnEmptyListIsOneLine() {
        String unknown = assertThrows(PlanException.class, () -> parse(
                "model: gmm:builtin\nsamplers: [euler, heun]\nschedulers: [{name: karras, samplers: [dpmpp_2m]}]\n"
                        + "steps: [4]\nseeds: [1]\n")).getMessage();
        assertEquals("plan.yaml: schedulers[0].samplers[0] is \"dpmpp_2m\"; 'dpmpp_2m' is not a sampler label of this plan;"
                + " allowed: euler, heun", unknown);
        String empty = assertThrows(PlanException.class, () -> parse(
                "model: gmm:builtin\nsamplers: [euler]\nschedulers: [{name: karras, samplers: []}]\nsteps: [4]\nseeds: [1]\n"))
                .getMessage();
        assertTrue(empty.startsWith("plan.yaml: schedulers[0].samplers is []; samplers is a non-empty list of the plan's"
                + " sampler labels (euler)"), empty);
        String onSampler = assertThrows(PlanException.class, () -> parse(
                "model: gmm:builtin\nsamplers: [{name: euler, samplers: [euler]}]\nschedulers: [karras]\nsteps: [4]\nseeds: [1]\n"))
                .getMessage();
        assertTrue(onSampler.contains("samplers[0].samplers"), onSampler);
    }
}
