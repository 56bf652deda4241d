package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Another engine's path (prepare, the runner per cell, collect) leaves the same cell files as Comparison.run. */
class PendingTest {
    private static final GaussianMixture GAUSSIAN = GaussianMixture.gaussian(new double[] {1, -1}, 0.5, 0.002, 80);

    @TempDir
    Path tmp;

    @Test
    void cellsRunOneByOneEqualTheLocalEngineAndAreNotRunAgain() throws IOException {
        MixtureSource source = TestPlans.source(GAUSSIAN, "gaussian");
        Plan.SamplerSpec euler = Plan.SamplerSpec.of("euler"), ancestral = Plan.SamplerSpec.of("euler_ancestral");
        Plan.SchedulerSpec karras = Plan.SchedulerSpec.of("karras");
        Plan plan = new Plan("pending", "gaussian", List.of(euler, ancestral), List.of(karras), List.of(5, 10),
                List.of(), List.of(1.0), List.of(Plan.PromptSpec.of("")), List.of(1L, 2L), 16, null, 0, 2, null, "test");
        List<Cell> cells = new ArrayList<>();
        for (Plan.SamplerSpec s : plan.samplers()) {
            for (int steps : plan.steps()) {
                for (long seed : plan.seeds()) {
                    cells.add(new Cell(new Cell.Config(s, karras, steps, false, 1), steps, 0, seed));
                }
            }
        }
        Path local = tmp.resolve("local"), other = tmp.resolve("other");
        List<CellResult> expected = Comparison.run(plan, cells, source, local, Comparison.Listener.NONE);

        Comparison.Pending pending = Comparison.prepare(plan, cells, source, other, null, false);
        assertEquals(cells.size(), pending.todo().size());
        assertThrows(IOException.class, pending::collect, "no record yet");
        CallTimer timer = new CallTimer();
        Model model = source.model(timer);
        for (int i : pending.todo().reversed()) {   // any order: a cell depends on itself alone
            pending.runner().run(cells.get(i), pending.ids().get(i), model, timer, pending.store()::write);
        }
        List<CellResult> results = pending.collect();
        for (int i = 0; i < cells.size(); i++) {
            assertEquals(expected.get(i).id(), results.get(i).id());
            assertEquals(expected.get(i).metrics(), results.get(i).metrics());
            assertArrayEquals(Files.readAllBytes(local.resolve(expected.get(i).samples())),
                    Files.readAllBytes(other.resolve(results.get(i).samples())), results.get(i).id());
        }
        assertEquals(List.of(), Comparison.prepare(plan, cells, source, other, null, false).todo());
    }
}
