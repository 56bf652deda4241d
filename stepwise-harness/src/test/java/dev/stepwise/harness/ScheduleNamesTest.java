package dev.stepwise.harness;

import static dev.stepwise.harness.PlanReaderTest.MODELS;
import static dev.stepwise.harness.PlanReaderTest.assertOneLine;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.schedule.ListScheduler;
import dev.stepwise.core.schedule.Sigmas;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.harness.fit.ScheduleFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Schedule files in plans: read relative to the plan, held by it, checked against the model, run exactly. */
class ScheduleNamesTest {
    /** The built-in ring's sigma range, which a schedule for gmm:builtin is fitted on. */
    static final double RING_MIN = 0.002, RING_MAX = 80;

    @TempDir
    Path dir;

    static ScheduleFile ringSchedule(double... sigmas) {
        return new ScheduleFile("custom", "gmm-ring", "continuous VE (EDM), sigma 0.002..80", RING_MIN, RING_MAX, "euler",
                null, sigmas, null);
    }

    private Plan plan(Path folder, String schedulers) throws IOException {
        Path file = folder.resolve("plan.yaml");
        Files.writeString(file, "model: gmm:builtin\nsamplers: [euler, dpmpp_2m]\nschedulers: " + schedulers
                + "\nsteps: [4]\nseeds: [1, 2]\nbatch: 16\nreference: false\n");
        return PlanReader.read(file);
    }

    @Test
    void aPlanReadsItsFilesRelativeToItsFolderAndHoldsTheirLists() throws IOException {
        Files.createDirectories(dir.resolve("fits"));
        ScheduleFile s = ringSchedule(80, 10, 2, 0.3, 0);
        s.write(dir.resolve("s.json"));
        ringSchedule(80, 5, 0.5, 0).write(dir.resolve("fits/t.json"));
        Plan p = plan(dir, "[karras, \"file:s.json\", {name: \"file:fits/t.json\", label: mine}]");
        List<Plan.SchedulerSpec> specs = p.schedulers();
        assertEquals(List.of("karras", "file:s.json", "file:t.json"), specs.stream().map(Plan.SchedulerSpec::name).toList());
        assertEquals(List.of("karras", "file:s.json", "mine"), specs.stream().map(Plan.SchedulerSpec::label).toList());
        assertNull(specs.get(0).schedule());
        assertEquals(s.withoutDetails(), specs.get(1).schedule());
        assertArrayEquals(new double[] {80, 5, 0.5, 0}, specs.get(2).schedule().sigmas(), 0);
        assertEquals(2 * 3 * 2, PlanCheck.check(p, MODELS).size());
    }

    /** Cells follow the list: another list gives other ids, the same list elsewhere the same ids. */
    @Test
    void cellIdsHashTheSigmasNotThePath() throws IOException {
        Path a = Files.createDirectories(dir.resolve("a")), b = Files.createDirectories(dir.resolve("b"));
        ringSchedule(80, 10, 2, 0.3, 0).write(a.resolve("s.json"));
        ringSchedule(80, 10, 2, 0.3, 0).write(b.resolve("s.json"));
        List<String> first = ids(plan(a, "[karras, \"file:s.json\"]"));
        assertEquals(first, ids(plan(b, "[karras, \"file:s.json\"]")), "a moved file is the same schedule");
        ringSchedule(80, 10, 2.5, 0.3, 0).write(b.resolve("s.json"));
        List<String> edited = ids(plan(b, "[karras, \"file:s.json\"]"));
        for (int i = 0; i < first.size(); i++) {
            boolean karras = first.get(i).contains("-karras-");
            assertEquals(karras, first.get(i).equals(edited.get(i)), first.get(i) + " / " + edited.get(i));
        }
        assertTrue(first.stream().anyMatch(id -> id.startsWith("euler-file_s.json-4-")), first.toString());
    }

    private static List<String> ids(Plan p) {
        return PlanCheck.check(p, MODELS).stream().map(c -> c.id("gmm-ring@x", p.batch(), p.reference())).toList();
    }

    @Test
    void aCellWithAScheduleFileReadsBackAsTheSameCell() throws IOException {
        ringSchedule(80, 10, 2, 0.3, 0).write(dir.resolve("s.json"));
        for (Cell c : PlanCheck.check(plan(dir, "[\"file:s.json\"]"), MODELS)) {
            assertEquals(c, CellStore.cellFromJson(CellStore.cellJson(c)));
        }
    }

    @Test
    void aReportOfAnotherListIsAnotherPlan() throws IOException {
        ringSchedule(80, 10, 2, 0.3, 0).write(dir.resolve("s.json"));
        Plan before = plan(dir, "[karras, \"file:s.json\"]");
        Path report = dir.resolve("report");
        CellStore.open(report).writePlan(before, "gmm-ring@x");
        assertTrue(ReportFolder.difference(report, before, "gmm-ring@x").isEmpty());
        ringSchedule(80, 10, 2.5, 0.3, 0).write(dir.resolve("s.json"));
        assertEquals("the report of another plan: schedulers karras, file:s.json (sigmas 80 10 2 0.3 0) there,"
                + " karras, file:s.json (sigmas 80 10 2.5 0.3 0) here",
                ReportFolder.difference(report, plan(dir, "[karras, \"file:s.json\"]"), "gmm-ring@x").orElseThrow());
    }

    /** A comparison cell walks the file's list exactly: the same samples as the list given to the library. */
    @Test
    void aCellRunsTheListExactly() throws IOException {
        double[] list = {80, 10, 2, 0.3, 0};
        ringSchedule(list).write(dir.resolve("s.json"));
        Plan p = plan(dir, "[\"file:s.json\"]");
        List<Cell> cells = PlanCheck.check(p, MODELS);
        Path report = dir.resolve("report");
        try (ModelSource source = ModelSources.open(p, MODELS, null)) {
            List<CellResult> results = Comparison.run(p, cells, source, report, Comparison.Listener.NONE);
            CellStore store = CellStore.open(report);
            for (CellResult r : results) {
                assertEquals("", r.error());
                Tensor direct = Stepwise.sample(SampleRequest.builder(source.model(new CallTimer()))
                        .sampler(r.cell().config().sampler().name()).sigmas(list).seed(r.cell().seed()).batch(p.batch())
                        .build()).samples();
                assertArrayEquals(direct.data(), store.readSamples(r).data(), r.id());
            }
        }
    }

    @Test
    void anNfePlanFindsStepCountsOnTheResampledList() throws IOException {
        ringSchedule(80, 10, 2, 0.3, 0).write(dir.resolve("s.json"));
        Path file = dir.resolve("nfe.yaml");
        Files.writeString(file, "model: gmm:builtin\nsamplers: [heun]\nschedulers: [\"file:s.json\"]\nnfe: [7, 9]\n"
                + "seeds: [1]\nreference: false\n");
        assertEquals(List.of(4, 5), PlanCheck.check(PlanReader.read(file), MODELS).stream().map(Cell::steps).toList(),
                "heun: 2n - 1 calls");
    }

    @Test
    void mistakesAreOneLineBeforeAnythingRuns() throws IOException {
        ringSchedule(80, 10, 2, 0.3, 0).write(dir.resolve("s.json"));
        ringSchedule(80, 0).write(dir.resolve("one.json"));
        new ScheduleFile("vrg", "fashion-flow", "rectified flow, shift 1.0", 0.001, 1, null, null, new double[] {1, 0.5, 0},
                null).write(dir.resolve("flow.json"));
        Files.writeString(dir.resolve("bad.json"), "{\"format\": \"stepwise-schedule\"}");

        assertOneLine("plan.yaml: schedulers[1]: schedule file '" + dir.resolve("missing.json") + "' does not exist",
                readError("[karras, \"file:missing.json\"]"));
        assertOneLine("plan.yaml: schedulers[0]: schedule file '" + dir.resolve("bad.json") + "': missing 'version'",
                readError("[\"file:bad.json\"]"));
        assertOneLine("plan.yaml: schedulers[0]: scheduler 'file:' names no file; write file:SCHEDULE.json",
                readError("[\"file:\"]"));
        assertOneLine("plan.yaml: schedulers[0]: scheduler file:s.json takes no parameters (a schedule file is a fixed"
                + " list), but rho is given", checkError("[{name: \"file:s.json\", params: {rho: 7}}]"));
        assertOneLine("plan.yaml: schedulers[1]: scheduler file:flow.json: fitted on model 'fashion-flow' (sigma"
                + " 0.00100000..1.00000) but model 'gmm-ring' has sigma 0.00200000..80.0000",
                checkError("[karras, \"file:flow.json\"]"));
        assertOneLine("plan.yaml: scheduler 'file:one.json' at 4 steps: a 1-step sigma list has one positive sigma and"
                + " cannot be resampled to 4 steps; run it at 1 step", checkError("[\"file:one.json\"]"));
        assertOneLine("plan.yaml: schedulers[0] and schedulers[1] have the same label 'file:s.json'",
                checkError("[\"file:s.json\", \"file:./s.json\"]"));
    }

    private String readError(String schedulers) throws IOException {
        Files.writeString(dir.resolve("plan.yaml"), "model: gmm:builtin\nsamplers: [euler]\nschedulers: " + schedulers
                + "\nsteps: [4]\nseeds: [1]\n");
        return assertThrows(PlanException.class, () -> PlanReader.read(dir.resolve("plan.yaml"))).getMessage()
                .replace(dir.resolve("plan.yaml").toString(), "plan.yaml");
    }

    private String checkError(String schedulers) throws IOException {
        Plan p = plan(dir, schedulers);
        return assertThrows(PlanException.class, () -> PlanCheck.check(p, MODELS)).getMessage()
                .replace(dir.resolve("plan.yaml").toString(), "plan.yaml");
    }

    @Test
    void theReferenceTakesNoScheduleFile() throws IOException {
        ringSchedule(80, 10, 2, 0.3, 0).write(dir.resolve("s.json"));
        Path file = dir.resolve("plan.yaml");
        Files.writeString(file, "model: gmm:builtin\nsamplers: [euler]\nschedulers: [karras]\nsteps: [4]\nseeds: [1]\n"
                + "reference: {scheduler: \"file:s.json\"}\n");
        PlanException e = assertThrows(PlanException.class, () -> PlanCheck.check(PlanReader.read(file), MODELS));
        assertOneLine(": reference.scheduler 'file:s.json' is a schedule file; the reference takes a registry scheduler"
                + " such as karras", e.getMessage());
    }

    @Test
    void theResolverTellsRegistryNamesFromFilesAndCodeMadeSpecsMustHoldTheirFile() throws IOException {
        ringSchedule(80, 10, 2, 0.3, 0).write(dir.resolve("s.json"));
        ScheduleNames.Entry karras = ScheduleNames.resolve("karras", dir);
        assertEquals(List.of("rho"), karras.parameters().stream().map(p -> p.name()).toList());
        ScheduleNames.Entry file = ScheduleNames.resolve("file:s.json", dir);
        assertEquals("file:s.json", file.name());
        assertTrue(file.parameters().isEmpty());
        assertArrayEquals(new double[] {80, 10, 2, 0.3, 0}, ((ListScheduler) file.create(Map.of())).sigmas(), 0);
        assertEquals(Map.of(), file.options(Map.of()));
        assertOneLine("unknown scheduler 'karas'; allowed: normal, karras",
                assertThrows(IllegalArgumentException.class, () -> ScheduleNames.resolve("karas", dir)).getMessage());
        assertOneLine("scheduler 'file:s.json' was not read; make its configuration with ScheduleNames.spec",
                assertThrows(IllegalArgumentException.class, () -> ScheduleNames.of(Plan.SchedulerSpec.of("file:s.json")))
                        .getMessage());
        Plan.SchedulerSpec spec = ScheduleNames.spec("file:s.json", Map.of(), null, dir);
        assertEquals(new Plan.SchedulerSpec("file:s.json", Map.of(), "file:s.json",
                ScheduleFile.read(dir.resolve("s.json")).withoutDetails()), spec);
        // Another step count: the positive values' log-linear interpolation (2 and 10 sit at 1/3 and 2/3), then 0.
        assertArrayEquals(new double[] {80, Math.sqrt(2 * 10), 0.3, 0},
                Sigmas.forRun(ScheduleNames.of(spec).create(Map.of()), null, 3, 1.0, true), 1e-12);
    }
}
