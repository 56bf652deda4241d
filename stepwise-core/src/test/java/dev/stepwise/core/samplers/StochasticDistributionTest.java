package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.testing.DistributionChecks;
import dev.stepwise.core.testing.FlowMixture;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every registered stochastic sampler, run with its defaults over many steps from pure noise, must draw
 * from the data distribution: a 2-D mixture of three Gaussians with different weights, means and
 * widths, checked by {@link DistributionChecks} (means and covariances within 4.5 standard errors, a
 * KS test of each marginal at alpha = 0.001), both as a VE model and as a rectified-flow model
 * ({@link FlowMixture}, SD3 shift 3). Each run also makes the model calls its registry entry promises.
 * A sampler with the wrong noise scale must fail the same check.
 */
class StochasticDistributionTest {
    static final GaussianMixture MIXTURE = DistributionChecks.THREE_GAUSSIANS_2D;

    static final int N = 5000;
    /**
     * Steps per run. The bias of a first-order sampler's result falls like 1/steps; measured for
     * euler_ancestral on this mixture (n = 20000, karras), the error of Var[x_0] was -0.109 at 80 steps,
     * -0.045 at 160 and -0.025 at 320, against a 4.5-standard-error limit of 0.122 at n = 5000. So
     * first-order samplers get 320 steps (bias a fifth of the limit) and the others 80.
     */
    static int steps(SamplerInfo info) {
        return info.order() >= 2 ? 80 : 320;
    }
    static final double Z = 4.5;
    static final double KS_ALPHA = 0.001;
    static final long SEED = 20261122L;

    /**
     * Consistency samplers, left out on purpose: lcm, and tcd with its default gamma = 0.3, jump at every step to the
     * model's x0 estimate (lcm) or to a level a finite share of the timestep below the next one (tcd), then re-noise.
     * That is exact only for a consistency model, whose output is a sample on the ODE trajectory; an ordinary
     * denoiser, even the exact one here, returns a posterior mean, so more steps do not converge to the data
     * distribution: measured here (n = 5000, 320 steps, VE) Var[x_1] = 1.21 (lcm) and 1.36 (tcd) against 1.75.
     * What they do compute is checked exactly in {@link ConsistencySamplersTest}.
     */
    static final Set<String> NOT_CONVERGENT = Set.of("lcm", "tcd");

    static Stream<SamplerInfo> stochastic() {
        return Samplers.all().stream().filter(SamplerInfo::stochastic).filter(info -> !NOT_CONVERGENT.contains(info.name()));
    }

    static SampleResult run(Model model, SamplerInfo info, Map<String, ?> params, long seed) {
        return Stepwise.sample(SampleRequest.builder(model).sampler(info.name()).samplerParameters(params)
                .scheduler("karras").steps(steps(info)).seed(seed).batch(N).build());
    }

    static DistributionChecks.Result check(Model model, SamplerInfo info, Map<String, ?> params) {
        SampleResult r = run(model, info, params, SEED);
        return DistributionChecks.check(MIXTURE, r.samples().data(), Z, KS_ALPHA, 0);
    }

    @TestFactory
    Stream<DynamicTest> everyStochasticSamplerDrawsTheMixture() {
        return stochastic().map(info -> DynamicTest.dynamicTest(info.name(), () -> {
            SampleResult r = run(MIXTURE.model("mixture"), info, Map.of(), SEED);
            if (!info.adaptive()) {
                assertEquals(info.expectedNfe(r.sigmas()), r.calls().nfe(), "model calls of " + info.name());
            }
            DistributionChecks.Result result = DistributionChecks.check(MIXTURE, r.samples().data(), Z, KS_ALPHA, 0);
            assertTrue(result.passed(), info.name() + " fails the distribution check:\n" + result);
        }));
    }

    @TestFactory
    Stream<DynamicTest> everyStochasticSamplerDrawsTheMixtureUnderFlow() {
        return stochastic().map(info -> DynamicTest.dynamicTest(info.name(), () -> {
            DistributionChecks.Result result = check(FlowMixture.model(MIXTURE, 3.0), info, Map.of());
            assertTrue(result.passed(), info.name() + " fails the distribution check under flow:\n" + result);
        }));
    }

    /** Negative control: half the ancestral noise narrows the result; the check must notice. */
    @Test
    void halfTheNoiseFailsTheSameCheck() {
        DistributionChecks.Result result = check(MIXTURE.model("mixture"), Samplers.get("euler_ancestral"), Map.of("s_noise", 0.5));
        assertFalse(result.passed(), "the distribution check should reject s_noise = 0.5:\n" + result);
    }
}
