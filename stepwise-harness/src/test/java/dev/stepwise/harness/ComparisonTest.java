package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.core.schedule.Sigmas;
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
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComparisonTest {
    private static final GaussianMixture GAUSSIAN = GaussianMixture.gaussian(new double[] {1, -1}, 0.5, 0.002, 80);

    @TempDir
    Path tmp;

    /**
     * On the closed-form Gaussian, at equal NFE, second-order deterministic solvers land nearer the converged
     * solution than Euler once the steps resolve the trajectory (EDM fig. 2; DPM-Solver++), and the distances
     * fall with the solvers' orders: Euler's halves per doubling of steps, Heun's quarters. DPM-Solver++(2M)
     * (one call per step) wins from 10 NFE on; Heun (two calls per step) has only 5 and 10 steps at 10 and 20
     * NFE, too few for Karras sigmas from 80 to 0.002 on data of std 0.5, and wins from 40 NFE on.
     */
    @Test
    void secondOrderBeatsEulerAtEqualNfeAndDistancesFallWithTheOrder() throws IOException {
        MixtureSource source = TestPlans.source(GAUSSIAN, "gaussian");
        Plan.SamplerSpec euler = Plan.SamplerSpec.of("euler"), heun = Plan.SamplerSpec.of("heun"),
                dpmpp = Plan.SamplerSpec.of("dpmpp_2m");
        Plan.SchedulerSpec karras = Plan.SchedulerSpec.of("karras");
        int[] budgets = {10, 20, 40, 80};
        // A reference far more accurate than any cell, so that the distances are the cells' own errors.
        Plan plan = new Plan("ranking", "gaussian", List.of(euler, heun, dpmpp), List.of(karras), List.of(),
                List.of(10, 20, 40, 80), List.of(1.0), List.of(Plan.PromptSpec.of("")), List.of(3L), 64,
                new Plan.ReferenceSpec("heun", "karras", 400), 4, 2, null, "test");
        List<Cell> cells = new ArrayList<>();
        for (int budget : budgets) {
            cells.add(new Cell(new Cell.Config(euler, karras, budget, true, 1), budget, 0, 3));
            // Heun makes 2 calls per step, 1 on the last (to sigma 0): 2 n - 1 <= budget.
            cells.add(new Cell(new Cell.Config(heun, karras, budget, true, 1), (budget + 1) / 2, 0, 3));
            cells.add(new Cell(new Cell.Config(dpmpp, karras, budget, true, 1), budget, 0, 3));
        }
        Map<String, Double> d = new HashMap<>();
        for (CellResult r : Comparison.run(plan, cells, source, tmp, Comparison.Listener.NONE)) {
            String sampler = r.cell().config().sampler().name();
            long listed = sampler.equals("heun") ? 2L * r.cell().steps() - 1 : r.cell().steps();
            assertEquals(listed, r.nfe(), sampler);
            assertTrue(r.nfe() <= r.cell().config().stepAxis());
            d.put(sampler + "@" + r.cell().config().stepAxis(), r.metric(CellResult.Metrics.REFERENCE_DISTANCE));
        }
        String all = new java.util.TreeMap<>(d).toString();
        for (int budget : budgets) {
            assertTrue(d.get("dpmpp_2m@" + budget) < d.get("euler@" + budget), all);
            if (budget >= 40) {
                assertTrue(d.get("heun@" + budget) < d.get("euler@" + budget), all);
            }
        }
        for (int i = 0; i + 1 < budgets.length; i++) {
            double order = Math.log(d.get("euler@" + budgets[i]) / d.get("euler@" + budgets[i + 1])) / Math.log(2);
            assertEquals(1, order, i == 0 ? 0.25 : 0.1, "euler order from " + budgets[i] + " NFE, " + all);
        }
        // Heun's 20 -> 40 steps: in the asymptotic range the measured order is 2 up to higher-order terms.
        double heunOrder = Math.log(d.get("heun@40") / d.get("heun@80")) / Math.log(2);
        assertEquals(2, heunOrder, 0.3, all);
    }

    /** The counted NFE equals each sampler's listed NFE for the sigma list its cell walks, with and without guidance. */
    @Test
    void countedNfeEqualsListedNfe() throws IOException {
        GaussianMixture ring = TestPlans.labelledRing();
        MixtureSource source = TestPlans.source(ring, "ring");
        List<Plan.SamplerSpec> samplers = Samplers.all().stream().filter(s -> !s.adaptive())
                .map(s -> Plan.SamplerSpec.of(s.name())).toList();
        Plan plan = TestPlans.plan(samplers, List.of("karras"), List.of(7), List.of(1.0, 3.0),
                List.of(new Plan.PromptSpec("1", "")), List.of(11L), 4, null, 2);
        List<CellResult> results = Comparison.run(plan, TestPlans.cells(plan), source, tmp, Comparison.Listener.NONE);
        assertEquals(2 * samplers.size(), results.size());
        for (CellResult r : results) {
            SamplerInfo info = Samplers.get(r.cell().config().sampler().name());
            double[] sigmas = Sigmas.forRun(Schedulers.get("karras").create(Map.of()), ring.sampling(), 7, 1,
                    info.discardPenultimate());
            String what = info.name() + " at cfg " + r.cell().config().cfg();
            assertEquals("", r.error(), what);
            assertEquals(info.expectedNfe(sigmas), r.nfe(), what);
            assertEquals(sigmas.length - 1, r.stepsRun(), what);
            // cond and uncond are batched into one network call per evaluation.
            assertEquals(r.nfe(), r.networkCalls(), what);
        }
    }

    private static Plan resumablePlan() {
        return TestPlans.plan(TestPlans.samplers("euler", "euler_ancestral", "dpmpp_2m"), List.of("karras"),
                List.of(4, 8), List.of(1.0, 2.0), List.of(Plan.PromptSpec.of("0"), new Plan.PromptSpec("1", "0")),
                List.of(1L, 2L), 32, new Plan.ReferenceSpec("heun", "karras", 20), 3);
    }

    private static Set<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** Everything but the timing fields. */
    private static void assertSameResult(CellResult a, CellResult b) {
        assertEquals(a.id(), b.id());
        assertEquals(a.cell(), b.cell(), a.id());
        assertEquals(a.nfe(), b.nfe(), a.id());
        assertEquals(a.networkCalls(), b.networkCalls(), a.id());
        assertEquals(a.stepsRun(), b.stepsRun(), a.id());
        assertEquals(a.metrics(), b.metrics(), a.id());
        assertArrayEquals(a.features(), b.features(), a.id());
        assertEquals(a.image(), b.image(), a.id());
        assertEquals(a.samples(), b.samples(), a.id());
        assertEquals(a.error(), b.error(), a.id());
    }

    /** Stopped midway and rerun: each cell once, finished cells not rerun, the same results as an uninterrupted run. */
    @Test
    void resumedRunEqualsUninterruptedRun() throws IOException {
        MixtureSource source = TestPlans.source(TestPlans.labelledRing(), "ring");
        Plan plan = resumablePlan();
        List<Cell> cells = TestPlans.cells(plan);
        assertEquals(48, cells.size());
        Path whole = tmp.resolve("whole"), resumed = tmp.resolve("resumed");
        List<CellResult> expected = Comparison.run(plan, cells, source, whole, Comparison.Listener.NONE);

        AtomicInteger seen = new AtomicInteger();
        RuntimeException stop = assertThrows(RuntimeException.class, () -> Comparison.run(plan, cells, source, resumed,
                new Comparison.Listener() {
                    @Override
                    public void cellDone(CellResult r, int done, int total) {
                        if (seen.incrementAndGet() == 10) {
                            throw new IllegalStateException("stopped by the test");
                        }
                    }
                }));
        assertEquals("stopped by the test", stop.getMessage());
        Set<String> afterStop = files(resumed.resolve(CellStore.CELLS));
        int finished = afterStop.size();
        assertTrue(finished >= 10 && finished < 48, "cells done when stopped: " + finished);
        Map<String, byte[]> before = new HashMap<>();
        for (String f : afterStop) {
            before.put(f, Files.readAllBytes(resumed.resolve(CellStore.CELLS).resolve(f)));
        }

        AtomicInteger alreadyDone = new AtomicInteger(-1), doneCalls = new AtomicInteger(), lastDone = new AtomicInteger();
        List<CellResult> again = Comparison.run(TestPlans.withParallel(plan, 2), cells, source, resumed,
                new Comparison.Listener() {
                    @Override
                    public void started(int total, int done) {
                        assertEquals(48, total);
                        alreadyDone.set(done);
                    }

                    @Override
                    public void cellDone(CellResult r, int done, int total) {
                        doneCalls.incrementAndGet();
                        lastDone.set(done);
                    }
                });
        assertEquals(finished, alreadyDone.get());
        assertEquals(48 - finished, doneCalls.get());
        assertEquals(48, lastDone.get());
        for (String f : afterStop) {
            assertArrayEquals(before.get(f), Files.readAllBytes(resumed.resolve(CellStore.CELLS).resolve(f)),
                    f + " was rewritten: a finished cell ran again");
        }

        Set<String> ids = cells.stream().map(c -> c.id(source.key(), plan.batch(), plan.reference()) + ".json")
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(48, ids.size());
        assertEquals(ids, files(resumed.resolve(CellStore.CELLS)), "one JSON per cell, nothing else (no temporaries)");
        assertEquals(files(whole.resolve(CellStore.SAMPLES)), files(resumed.resolve(CellStore.SAMPLES)));
        // 2 prompts x 2 cfg x 2 seeds references, each an .npy and a .json.
        assertEquals(16, files(resumed.resolve(CellStore.REFERENCES)).size());
        for (int i = 0; i < cells.size(); i++) {
            assertSameResult(expected.get(i), again.get(i));
            assertArrayEquals(Files.readAllBytes(whole.resolve(expected.get(i).samples())),
                    Files.readAllBytes(resumed.resolve(again.get(i).samples())), expected.get(i).id());
        }
        // A third run finds everything done.
        AtomicInteger third = new AtomicInteger(-1);
        Comparison.run(plan, cells, source, resumed, new Comparison.Listener() {
            @Override
            public void started(int total, int done) {
                third.set(done);
            }
        });
        assertEquals(48, third.get());
    }

    /** One worker or three: bit-identical samples and equal metrics, stochastic samplers included. */
    @Test
    void parallelRunEqualsSequentialRun() throws IOException {
        MixtureSource source = TestPlans.source(TestPlans.labelledRing(), "ring");
        Plan plan = TestPlans.plan(TestPlans.samplers("euler_ancestral", "dpmpp_sde", "dpmpp_2m_sde", "heun"),
                List.of("karras", "simple"), List.of(5), List.of(1.5), List.of(Plan.PromptSpec.of("1"), Plan.PromptSpec.of("")),
                List.of(7L, 8L), 16, new Plan.ReferenceSpec("heun", "karras", 10), 1);
        List<Cell> cells = TestPlans.cells(plan);
        List<CellResult> one = Comparison.run(plan, cells, source, tmp.resolve("one"), Comparison.Listener.NONE);
        List<CellResult> three = Comparison.run(TestPlans.withParallel(plan, 3), cells, source, tmp.resolve("three"),
                Comparison.Listener.NONE);
        for (int i = 0; i < cells.size(); i++) {
            assertSameResult(one.get(i), three.get(i));
            assertArrayEquals(Files.readAllBytes(tmp.resolve("one").resolve(one.get(i).samples())),
                    Files.readAllBytes(tmp.resolve("three").resolve(three.get(i).samples())), one.get(i).id());
        }
        // Different seeds differ (the comparison above can fail).
        assertNotEquals(one.get(0).metrics(), one.get(1).metrics());
    }

    /** A sampler that fails in one cell is recorded there; the other cells finish. */
    @Test
    void samplerFailureIsRecordedAndOthersFinish() throws IOException {
        MixtureSource source = TestPlans.source(TestPlans.labelledRing(), "ring");
        Plan plan = TestPlans.plan(List.of(Plan.SamplerSpec.of("euler"), TestPlans.sampler("euler_ancestral", Map.of("eta", -1.0)),
                        Plan.SamplerSpec.of("dpmpp_2m")), List.of("karras"), List.of(6), List.of(1.0),
                List.of(Plan.PromptSpec.of("")), List.of(1L, 2L), 8, Plan.ReferenceSpec.DEFAULT, 2);
        List<CellResult> results = Comparison.run(plan, TestPlans.cells(plan), source, tmp, Comparison.Listener.NONE);
        assertEquals(6, results.size());
        for (CellResult r : results) {
            if (r.cell().config().sampler().name().equals("euler_ancestral")) {
                assertTrue(r.failed());
                assertTrue(r.error().contains("eta") && r.error().contains("-1"), r.error());
                assertFalse(r.error().contains("\n"));
                assertTrue(r.metrics().isEmpty());
                assertEquals("", r.samples());
                assertEquals(r.error(), CellStore.open(tmp).read(r.id()).orElseThrow().error());
            } else {
                assertFalse(r.failed(), r.error());
                assertEquals(6, r.nfe());
                assertTrue(Files.isRegularFile(tmp.resolve(r.samples())));
                assertTrue(r.metric(CellResult.Metrics.REFERENCE_DISTANCE) > 0);
            }
        }
    }

    @Test
    void badSettingsAreOneClearLineBeforeAnythingIsWritten() {
        MixtureSource source = TestPlans.source(TestPlans.labelledRing(), "ring");
        Plan badPrompt = TestPlans.plan(TestPlans.samplers("euler"), List.of("karras"), List.of(4), List.of(1.0),
                List.of(Plan.PromptSpec.of("7")), List.of(1L), 4, null, 1);
        PlanException e = assertThrows(PlanException.class, () -> Comparison.run(badPrompt, TestPlans.cells(badPrompt),
                source, tmp.resolve("a"), Comparison.Listener.NONE));
        assertTrue(e.getMessage().startsWith("test plan: prompts[0].prompt: label 7"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("a")));

        Plan stochasticReference = TestPlans.plan(TestPlans.samplers("euler"), List.of("karras"), List.of(4), List.of(1.0),
                List.of(Plan.PromptSpec.of("")), List.of(1L), 4, new Plan.ReferenceSpec("euler_ancestral", "karras", 50), 1);
        e = assertThrows(PlanException.class, () -> Comparison.run(stochasticReference, TestPlans.cells(stochasticReference),
                source, tmp.resolve("b"), Comparison.Listener.NONE));
        assertTrue(e.getMessage().contains("reference sampler 'euler_ancestral' is stochastic"), e.getMessage());

        Plan twice = TestPlans.plan(TestPlans.samplers("euler"), List.of("karras"), List.of(4), List.of(1.0),
                List.of(Plan.PromptSpec.of("")), List.of(1L, 1L), 4, null, 1);
        e = assertThrows(PlanException.class, () -> Comparison.run(twice, TestPlans.cells(twice), source,
                tmp.resolve("c"), Comparison.Listener.NONE));
        assertTrue(e.getMessage().contains("cells 0 and 1 are the same cell"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("b")) || Files.exists(tmp.resolve("c")));
    }

    /** An interrupt of the calling thread ends the run at once; the rerun finishes the plan. */
    @Test
    void interruptStopsTheRunPromptly() throws IOException {
        MixtureSource source = TestPlans.source(TestPlans.labelledRing(), "ring");
        Plan plan = resumablePlan();
        List<Cell> cells = TestPlans.cells(plan);
        Thread caller = Thread.currentThread();
        java.util.concurrent.atomic.AtomicBoolean interrupted = new java.util.concurrent.atomic.AtomicBoolean();
        assertThrows(java.io.InterruptedIOException.class, () -> Comparison.run(plan, cells, source, tmp,
                new Comparison.Listener() {
                    @Override
                    public void cellDone(CellResult r, int done, int total) {
                        assertFalse(interrupted.getAndSet(true), "no progress after the run has stopped");
                        caller.interrupt();
                    }
                }));
        assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
        AtomicInteger alreadyDone = new AtomicInteger(-1);
        List<CellResult> results = Comparison.run(plan, cells, source, tmp, new Comparison.Listener() {
            @Override
            public void started(int total, int done) {
                alreadyDone.set(done);
            }
        });
        assertTrue(alreadyDone.get() >= 1 && alreadyDone.get() < 48, "done before the rerun: " + alreadyDone.get());
        assertEquals(48, results.size());
        assertTrue(results.stream().noneMatch(CellResult::failed), () -> results.stream().filter(CellResult::failed).map(CellResult::error).toList().toString());
    }
}
