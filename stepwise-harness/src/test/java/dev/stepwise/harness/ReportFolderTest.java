package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.GaussianMixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A report folder resumes only its own plan on its own model; another is refused, or replaced without a trace. */
class ReportFolderTest {
    @TempDir
    Path tmp;

    private static final MixtureSource RING = TestPlans.source(TestPlans.labelledRing(), "ring");

    private static Plan plan(List<String> samplers, List<Long> seeds) {
        return TestPlans.plan(TestPlans.samplers(samplers.toArray(String[]::new)), List.of("karras"), List.of(4),
                List.of(1.0), List.of(Plan.PromptSpec.of("0")), seeds, 16, new Plan.ReferenceSpec("heun", "karras", 8), 2);
    }

    private static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static Map<String, byte[]> contents(Path dir) throws IOException {
        Map<String, byte[]> out = new HashMap<>();
        for (String n : names(dir)) {
            out.put(n, Files.readAllBytes(dir.resolve(n)));
        }
        return out;
    }

    /** The replaced() and started() calls of a run. */
    private static final class Calls implements Comparison.Listener {
        final AtomicReference<String> difference = new AtomicReference<>();
        final AtomicInteger removed = new AtomicInteger(-1), alreadyDone = new AtomicInteger(-1);

        @Override
        public void replaced(String d, int n) {
            difference.set(d);
            removed.set(n);
        }

        @Override
        public void started(int total, int done) {
            alreadyDone.set(done);
        }
    }

    @Test
    void theSamePlanResumesAndReportOnlySettingsMayChange() throws IOException {
        Plan plan = plan(List.of("euler", "heun"), List.of(1L, 2L));
        Comparison.run(plan, TestPlans.cells(plan), RING, tmp, null);
        Map<String, byte[]> cells = contents(tmp.resolve(CellStore.CELLS));
        Plan renamed = new Plan("another title", "gmm:elsewhere.json", plan.samplers(), plan.schedulers(), plan.steps(),
                plan.nfe(), plan.cfg(), plan.prompts(), plan.seeds(), plan.batch(), plan.reference(), 1, 1, null, "other file");
        assertTrue(ReportFolder.difference(tmp, renamed, RING.key()).isEmpty());
        Calls calls = new Calls();
        Comparison.run(renamed, TestPlans.cells(renamed), RING, tmp, calls);
        assertEquals(4, calls.alreadyDone.get());
        assertEquals(null, calls.difference.get(), "nothing replaced");
        Map<String, byte[]> after = contents(tmp.resolve(CellStore.CELLS));
        assertEquals(cells.keySet(), after.keySet());
        for (String f : cells.keySet()) {
            assertArrayEquals(cells.get(f), after.get(f), f);
        }
    }

    @Test
    void anotherPlanIsRefusedNamingWhatDiffersAndNothingIsTouched() throws IOException {
        Plan plan = plan(List.of("euler", "heun"), List.of(1L, 2L));
        Comparison.run(plan, TestPlans.cells(plan), RING, tmp, null);
        byte[] planFile = Files.readAllBytes(tmp.resolve(CellStore.PLAN_FILE));
        Set<String> cells = names(tmp.resolve(CellStore.CELLS));

        Plan other = plan(List.of("euler", "dpmpp_2m"), List.of(1L, 2L, 3L));
        ReportFolder.MismatchException e = assertThrows(ReportFolder.MismatchException.class,
                () -> Comparison.run(other, TestPlans.cells(other), RING, tmp, null));
        assertEquals("the report of another plan: samplers euler, heun there, euler, dpmpp_2m here (seeds too)",
                e.difference());
        assertEquals(tmp, e.dir());
        assertFalse(e.getMessage().contains("\n"));
        assertArrayEquals(planFile, Files.readAllBytes(tmp.resolve(CellStore.PLAN_FILE)));
        assertEquals(cells, names(tmp.resolve(CellStore.CELLS)));

        Plan noReference = TestPlans.plan(plan.samplers(), List.of("karras"), List.of(4), List.of(1.0),
                List.of(Plan.PromptSpec.of("0")), plan.seeds(), 16, null, 2);
        assertEquals("the report of another plan: reference heun/karras/8 there, none here",
                ReportFolder.difference(tmp, noReference, RING.key()).orElseThrow());
    }

    @Test
    void anotherModelIsRefusedNamingItsDigest() throws IOException {
        Plan plan = plan(List.of("euler"), List.of(1L));
        Comparison.run(plan, TestPlans.cells(plan), RING, tmp, null);
        // The same name, another mixture: what an edited spec file gives.
        List<GaussianMixture.Component> cs = new ArrayList<>(TestPlans.labelledRing().components());
        cs.set(0, new GaussianMixture.Component(5, new double[] {2, 0}, 0.3, 0));
        MixtureSource edited = TestPlans.source(new GaussianMixture(2, cs, 0.002, 80), "ring");
        assertNotEquals(RING.key(), edited.key());
        ReportFolder.MismatchException e = assertThrows(ReportFolder.MismatchException.class,
                () -> Comparison.run(plan, TestPlans.cells(plan), edited, tmp, null));
        assertEquals("a report of ring as it was before its files changed (model digest " + RING.key() + " there, "
                + edited.key() + " here)", e.difference());
        MixtureSource other = TestPlans.source(TestPlans.labelledRing(), "square");
        assertEquals("a report of another model: " + RING.key() + " there, " + other.key() + " here",
                ReportFolder.difference(tmp, plan, other.key()).orElseThrow());
    }

    @Test
    void foldersOfUnknownOriginAreRefused() throws IOException {
        Plan plan = plan(List.of("euler"), List.of(1L));
        assertTrue(ReportFolder.difference(tmp.resolve("missing"), plan, RING.key()).isEmpty(), "a new folder");
        Files.createDirectories(tmp.resolve("empty"));
        assertTrue(ReportFolder.difference(tmp.resolve("empty"), plan, RING.key()).isEmpty(), "an empty folder");

        Path loose = tmp.resolve("loose");
        Files.createDirectories(loose.resolve(CellStore.CELLS));
        Files.writeString(loose.resolve(CellStore.CELLS).resolve("x.json"), "{}");
        assertEquals("cells but no plan.json to say whose they are",
                ReportFolder.difference(loose, plan, RING.key()).orElseThrow());

        Path old = tmp.resolve("old");
        Comparison.run(plan, TestPlans.cells(plan), RING, old, null);
        String json = Files.readString(old.resolve(CellStore.PLAN_FILE));
        Files.writeString(old.resolve(CellStore.PLAN_FILE), json.replaceAll("\"model_key\" : \"[^\"]*\"", "\"x\" : 1"));
        assertTrue(ReportFolder.difference(old, plan, RING.key()).orElseThrow().contains("records no model digest"));
        Files.writeString(old.resolve(CellStore.PLAN_FILE), "{ not json");
        assertEquals("a plan.json that does not parse", ReportFolder.difference(old, plan, RING.key()).orElseThrow());
    }

    /** Replacing keeps the cells the plans share, byte for byte, and removes the rest with the old figures. */
    @Test
    void replacingKeepsSharedCellsAndRemovesTheRest() throws IOException {
        Plan plan = plan(List.of("euler", "heun"), List.of(1L, 2L));
        List<CellResult> first = Comparison.run(plan, TestPlans.cells(plan), RING, tmp, null);
        Files.createDirectories(tmp.resolve("grids"));
        Files.writeString(tmp.resolve("grids").resolve("p0-old.png"), "old grid");
        Files.writeString(tmp.resolve("summary.md"), "old summary");
        Files.writeString(tmp.resolve(ScoringSheet.SCORES), "the user's scores");
        Map<String, byte[]> before = contents(tmp.resolve(CellStore.CELLS));

        Plan other = plan(List.of("euler", "dpmpp_2m"), List.of(2L, 3L));
        List<Cell> cells = TestPlans.cells(other);
        Calls calls = new Calls();
        List<CellResult> results = Comparison.run(other, cells, RING, tmp, calls, true);
        assertTrue(calls.difference.get().startsWith("the report of another plan: samplers"), calls.difference.get());
        assertEquals(3, calls.removed.get(), "euler seed 1, heun seeds 1 and 2");
        assertEquals(1, calls.alreadyDone.get(), "euler seed 2 is shared");

        Set<String> ids = Set.copyOf(Comparison.ids(other, cells, RING));
        assertEquals(ids.stream().map(i -> i + ".json").collect(Collectors.toSet()), names(tmp.resolve(CellStore.CELLS)));
        assertEquals(ids.stream().map(i -> i + ".npy").collect(Collectors.toSet()), names(tmp.resolve(CellStore.SAMPLES)));
        String shared = first.get(1).id();   // euler, seed 2
        assertTrue(ids.contains(shared));
        assertArrayEquals(before.get(shared + ".json"), Files.readAllBytes(tmp.resolve(CellStore.CELLS).resolve(shared + ".json")),
                "a shared cell is kept, not run again");
        References refs = new References(tmp.resolve(CellStore.REFERENCES), RING, other.reference(), other.batch());
        Set<String> refFiles = new TreeSet<>();
        for (String k : refs.keys(other)) {
            refFiles.add(k + ".npy");
            refFiles.add(k + ".json");
        }
        assertEquals(refFiles, names(tmp.resolve(CellStore.REFERENCES)), "seed 1's reference is gone");
        assertFalse(Files.exists(tmp.resolve("grids")), "the old figures are gone (the report step draws them again)");
        assertFalse(Files.exists(tmp.resolve("summary.md")));
        assertEquals("the user's scores", Files.readString(tmp.resolve(ScoringSheet.SCORES)));
        assertEquals(4, results.size());
        assertTrue(ReportFolder.difference(tmp, other, RING.key()).isEmpty(), "the folder is the new plan's now");
    }

    @Test
    void replacingForAnotherModelRecomputesEveryCell() throws IOException {
        Plan plan = plan(List.of("euler", "heun"), List.of(1L, 2L));
        List<CellResult> first = Comparison.run(plan, TestPlans.cells(plan), RING, tmp, null);
        GaussianMixture wider = new GaussianMixture(2, TestPlans.labelledRing().components().stream()
                .map(c -> new GaussianMixture.Component(c.weight(), c.mean(), 0.5, c.label())).toList(), 0.002, 80);
        MixtureSource edited = TestPlans.source(wider, "ring");
        Calls calls = new Calls();
        List<CellResult> again = Comparison.run(plan, TestPlans.cells(plan), edited, tmp, calls, true);
        assertEquals(4, calls.removed.get());
        assertEquals(0, calls.alreadyDone.get());
        assertEquals(Comparison.ids(plan, TestPlans.cells(plan), edited).stream().map(i -> i + ".json")
                .collect(Collectors.toSet()), names(tmp.resolve(CellStore.CELLS)));
        for (int i = 0; i < first.size(); i++) {
            assertNotEquals(first.get(i).id(), again.get(i).id());
            assertNotEquals(first.get(i).metrics(), again.get(i).metrics(), "computed on the edited model");
        }
    }
}
