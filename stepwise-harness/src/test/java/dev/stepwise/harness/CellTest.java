package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Cell ids: stable, and different whenever anything that decides the cell's file differs. */
class CellTest {
    private static final Plan.ReferenceSpec REFERENCE = new Plan.ReferenceSpec("heun", "karras", 20);

    private static Cell cell(Plan.SamplerSpec sampler, Plan.SchedulerSpec scheduler) {
        return new Cell(new Cell.Config(sampler, scheduler, 8, false, 3.0), 8, 0, 42L);
    }

    @Test
    void theIdIsStableAndReadable() {
        Cell c = cell(Plan.SamplerSpec.of("euler"), Plan.SchedulerSpec.of("karras"));
        String id = c.id("m@1", 4, REFERENCE);
        assertEquals(id, cell(Plan.SamplerSpec.of("euler"), Plan.SchedulerSpec.of("karras")).id("m@1", 4, REFERENCE));
        assertTrue(id.matches("euler-karras-8-p0-s42-[0-9a-f]{12}"), id);
        assertEquals(c.id("m@1", 4), c.id("m@1", 4, null));
    }

    /** Each of these decides the result or what the cell's JSON records, so each gives another id. */
    @Test
    void everythingThatDecidesTheCellChangesTheId() {
        Plan.SamplerSpec euler = Plan.SamplerSpec.of("euler");
        Plan.SchedulerSpec karras = Plan.SchedulerSpec.of("karras");
        Cell c = cell(euler, karras);
        List<String> ids = List.of(
                c.id("m@1", 4, REFERENCE),
                c.id("m@2", 4, REFERENCE),                                   // the model's files
                c.id("m@1", 5, REFERENCE),                                   // batch
                c.id("m@1", 4, null),                                        // no reference
                c.id("m@1", 4, new Plan.ReferenceSpec("heun", "karras", 40)), // another reference solve
                c.id("m@1", 4, new Plan.ReferenceSpec("dpm_2", "karras", 20)),
                c.id("m@1", 4, new Plan.ReferenceSpec("heun", "simple", 20)),
                cell(new Plan.SamplerSpec("euler", Map.of(), "Euler"), karras).id("m@1", 4, REFERENCE),   // a label
                cell(euler, new Plan.SchedulerSpec("karras", Map.of(), "K")).id("m@1", 4, REFERENCE),
                cell(euler, new Plan.SchedulerSpec("karras", Map.of("rho", 5.0), "karras")).id("m@1", 4, REFERENCE));
        Set<String> distinct = new HashSet<>(ids);
        assertEquals(ids.size(), distinct.size(), ids.toString());
    }
}
