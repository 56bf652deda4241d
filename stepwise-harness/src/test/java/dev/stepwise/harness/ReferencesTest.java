package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.measure.ClosedFormGaussian;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReferencesTest {
    private static final int BATCH = 16;
    private static final Plan.ReferenceSpec SPEC = new Plan.ReferenceSpec("heun", "karras", 20);
    // Heun: 2 calls per step, 1 on the last; a reference solves 20 and 10 steps.
    private static final long CALLS = (2 * 20 - 1) + (2 * 10 - 1);

    @TempDir
    Path tmp;

    /**
     * The reference against the exact ODE solution from the same start: the solve's error is below its recorded
     * self-error (which, for an order-2 solver, overstates it about 3 times) and of the same magnitude.
     */
    @Test
    void referenceErrorIsBoundedByItsSelfError() throws Exception {
        ClosedFormGaussian exact = new ClosedFormGaussian(new double[] {0.5, -1, 2}, 0.4);
        MixtureSource source = TestPlans.source(exact.mixture(), "gaussian3");
        References refs = new References(tmp, source, SPEC, BATCH);
        Plan.PromptSpec prompt = Plan.PromptSpec.of("");
        Tensor ref = refs.get(source.model(new CallTimer()), prompt, 1, 9);

        // The cells' start: torch.randn of the seed, scaled by sqrt(1 + 80^2) as a run from sigma_max is.
        float[] start = new float[BATCH * 3];
        new TorchGenerator(9).randn(start);
        float scale = (float) Math.sqrt(1 + 80.0 * 80.0);
        for (int i = 0; i < start.length; i++) {
            start[i] *= scale;
        }
        double[] solution = exact.odeSolution(start, 80, 0);
        double sum = 0;
        for (int i = 0; i < solution.length; i++) {
            double d = ref.data()[i] - solution[i];
            sum += d * d;
        }
        double error = Math.sqrt(sum / solution.length), self = refs.selfError(prompt, 1, 9);
        assertTrue(error < self && error > self / 10, "error " + error + ", self-error " + self);

        List<References.Accuracy> all = References.readAll(tmp);
        assertEquals(1, all.size());
        assertEquals(self, all.get(0).selfError());
        assertEquals(10, all.get(0).halfSteps());
        assertEquals(Double.NaN, refs.selfError(prompt, 2, 9));
    }

    /** Two workers asking at once solve it once; a later run reads it back from the folder, bit for bit. */
    @Test
    void solvedOncePerKeyAndCached() throws Exception {
        MixtureSource source = TestPlans.source(TestPlans.labelledRing(), "ring");
        References refs = new References(tmp, source, SPEC, BATCH);
        Plan.PromptSpec prompt = new Plan.PromptSpec("1", "0");
        int workers = 4;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        List<CallTimer> timers = new ArrayList<>();
        List<Future<Tensor>> got = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            CallTimer timer = new CallTimer();
            timers.add(timer);
            got.add(pool.submit(() -> {
                go.await();
                return refs.get(source.model(timer), prompt, 2.5, 4);
            }));
        }
        go.countDown();
        Tensor first = got.get(0).get();
        for (Future<Tensor> f : got) {
            assertArrayEquals(first.data(), f.get().data());
        }
        pool.shutdown();
        assertEquals(CALLS, timers.stream().mapToLong(CallTimer::calls).sum(), "one solve (full and half steps) in all");

        CallTimer later = new CallTimer();
        Tensor again = new References(tmp, source, SPEC, BATCH).get(source.model(later), prompt, 2.5, 4);
        assertEquals(0, later.calls());
        assertArrayEquals(first.data(), again.data());

        Tensor other = refs.get(source.model(later), prompt, 2.5, 5);
        assertEquals(CALLS, later.calls());
        assertNotEquals(refs.key(prompt, 2.5, 4), refs.key(prompt, 2.5, 5));
        assertTrue(CellMetrics.rms(first, other) > 0.1, "another seed, another start");
    }
}
