package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.guidance.ModelCalls;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.testing.SamplerRuns;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * For every registered sampler (stochastic ones too), the model evaluations counted during a run equal what the
 * registry declares ({@link SamplerInfo#expectedNfe}), for several step counts, with and without the final step
 * onto sigma = 0; and the guidance accounting holds: at cfg 1 one conditional pass per evaluation and no
 * unconditional one; at cfg 3 one of each, in one network call when cond and uncond are batched, two otherwise.
 */
class ModelCallCountTest {

    @TestFactory
    Stream<DynamicTest> countedCallsMatchTheRegistry() {
        // Adaptive samplers choose their own steps; their tests check the count they report instead.
        return Samplers.all().stream().filter(info -> !info.adaptive())
                .map(info -> DynamicTest.dynamicTest(info.name(), () -> check(info)));
    }

    private static void check(SamplerInfo info) {
        var mixture = GaussianMixture.gaussian(new double[] {0.5, -1}, 0.5, 0.002, 80);
        for (double[] sigmas : sigmaLists()) {
            long expected = info.expectedNfe(sigmas);
            String where = info.name() + " over " + (sigmas.length - 1) + " steps ending at " + sigmas[sigmas.length - 1];

            ModelCalls c1 = run(mixture, info, sigmas, 1, true).calls();
            assertEquals(expected, c1.nfe(), where + ": NFE at cfg 1");
            assertEquals(c1.nfe(), c1.condPasses(), where + ": cond passes at cfg 1");
            // CFG++ steps along the unconditional prediction, so its samplers keep the unconditional pass at cfg 1.
            assertEquals(info.cfgPp() ? c1.nfe() : 0, c1.uncondPasses(), where + ": uncond passes at cfg 1");
            assertEquals(c1.nfe(), c1.networkCalls(), where + ": network calls at cfg 1");

            ModelCalls c3 = run(mixture, info, sigmas, 3, true).calls();
            assertEquals(expected, c3.nfe(), where + ": NFE at cfg 3");
            assertEquals(c3.nfe(), c3.condPasses(), where + ": cond passes at cfg 3");
            assertEquals(c3.nfe(), c3.uncondPasses(), where + ": uncond passes at cfg 3");
            assertEquals(c3.nfe(), c3.networkCalls(), where + ": network calls at cfg 3, batched");

            ModelCalls split = run(mixture, info, sigmas, 3, false).calls();
            assertEquals(expected, split.nfe(), where + ": NFE at cfg 3, unbatched");
            assertEquals(2 * split.nfe(), split.networkCalls(), where + ": network calls at cfg 3, unbatched");
        }
    }

    /**
     * Through a scheduler (which applies the sampler's discard-penultimate convention) the run still takes the
     * requested number of steps, and the counted calls are those the registry declares for the sigmas it walked.
     */
    @TestFactory
    Stream<DynamicTest> scheduledRunsTakeTheRequestedSteps() {
        var mixture = GaussianMixture.gaussian(new double[] {0.5, -1}, 0.5, 0.002, 80);
        return Samplers.all().stream().map(info -> DynamicTest.dynamicTest(info.name(), () -> {
            for (int steps : new int[] {1, 4, 9}) {
                SampleResult r = Stepwise.sample(SampleRequest.builder(mixture.model("g")).sampler(info.name())
                        .scheduler("karras").steps(steps).seed(5).batch(2).build());
                assertEquals(steps, r.steps(), info.name() + ": steps");
                assertEquals(0, r.sigmas()[steps], info.name() + ": a scheduled run ends at sigma 0");
                if (!info.adaptive()) {
                    assertEquals(info.expectedNfe(r.sigmas()), r.calls().nfe(), info.name() + ": NFE over " + steps + " steps");
                }
            }
        }));
    }

    private static SampleResult run(GaussianMixture mixture, SamplerInfo info, double[] sigmas, double cfg, boolean batched) {
        return Stepwise.sample(SampleRequest.builder(mixture.model("g")).sampler(info.name()).sigmas(sigmas)
                .cfg(cfg).batchCondUncond(batched).negative(Conditioning.NONE).seed(3).batch(2).build());
    }

    /** Karras lists of 1, 2, 3, 7 and 12 steps, each with the final 0 and without it. */
    private static List<double[]> sigmaLists() {
        List<double[]> lists = new ArrayList<>();
        for (int steps : new int[] {1, 2, 3, 7, 12}) {
            lists.add(SamplerRuns.karrasWithZero(0.03, 14.6, steps));
            lists.add(SamplerRuns.karrasWithoutZero(0.03, 14.6, steps));
        }
        return lists;
    }
}
