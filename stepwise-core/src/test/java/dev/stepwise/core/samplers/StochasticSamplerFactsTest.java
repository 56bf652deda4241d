package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleRequest.NoiseKind;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.noise.TorchGenerator;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.core.testing.DistributionChecks;
import dev.stepwise.core.tensor.Vec;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * What "stochastic" means, for every registered sampler that claims it: with the starting noise fixed,
 * the result depends on the step-noise seed (under both noise kinds); with eta = 0 it no longer does.
 * Also which noise a sampler gets by default, and the errors for bad parameters.
 */
class StochasticSamplerFactsTest {
    static final GaussianMixture MIXTURE = DistributionChecks.THREE_GAUSSIANS_2D;
    static final Model MODEL = MIXTURE.model("mixture");
    static final int BATCH = 64;
    static final Tensor START;

    static {
        float[] n = new float[BATCH * 2];
        new TorchGenerator(99).randn(n);
        START = Tensor.wrap(n, BATCH, 2);
    }

    /** Steps per run: 12, except restart, whose automatic rule (A1111's) restarts, and so adds noise, only from 20 steps. */
    static int steps(SamplerInfo info) {
        return info.name().equals("restart") ? 24 : 12;
    }

    static float[] run(SamplerInfo info, Map<String, ?> params, long seed, NoiseKind kind) {
        return Stepwise.sample(SampleRequest.builder(MODEL).sampler(info.name()).samplerParameters(params)
                .scheduler("karras").steps(steps(info)).seed(seed).batch(BATCH).initialNoise(START).noise(kind).build())
                .samples().data();
    }

    static Stream<SamplerInfo> stochastic() {
        return Samplers.all().stream().filter(SamplerInfo::stochastic);
    }

    static boolean hasEta(SamplerInfo info) {
        return info.parameters().stream().anyMatch(p -> p.name().equals("eta"));
    }

    @TestFactory
    Stream<DynamicTest> stepNoiseSeedChangesTheResult() {
        return stochastic().flatMap(info -> Stream.of(NoiseKind.SEQUENTIAL, NoiseKind.BROWNIAN).map(kind ->
                DynamicTest.dynamicTest(info.name() + " " + kind, () -> {
                    double d = Vec.rmsDistance(run(info, Map.of(), 1, kind), run(info, Map.of(), 2, kind));
                    // The data's spread is ~1.5; fresh noise at every step moves samples by a sizeable share of it.
                    assertTrue(d > 0.1, info.name() + ": results of two noise seeds differ by only " + d);
                })));
    }

    @TestFactory
    Stream<DynamicTest> etaZeroIgnoresTheNoiseSeed() {
        return stochastic().filter(StochasticSamplerFactsTest::hasEta).flatMap(info ->
                Stream.of(NoiseKind.SEQUENTIAL, NoiseKind.BROWNIAN).map(kind ->
                        DynamicTest.dynamicTest(info.name() + " " + kind, () -> {
                            Map<String, Object> eta0 = Map.of("eta", 0);
                            assertArrayEquals(run(info, eta0, 1, kind), run(info, eta0, 2, kind),
                                    info.name() + " with eta = 0 still depends on the noise seed");
                        })));
    }

    /** DEFAULT means a Brownian tree for the samplers flagged so (k-diffusion's SDE samplers), else sequential noise. */
    @TestFactory
    Stream<DynamicTest> defaultNoiseFollowsTheSamplersFlag() {
        return stochastic().map(info -> DynamicTest.dynamicTest(info.name(), () -> {
            float[] byDefault = run(info, Map.of(), 5, NoiseKind.DEFAULT);
            NoiseKind expected = info.brownianNoise() ? NoiseKind.BROWNIAN : NoiseKind.SEQUENTIAL;
            NoiseKind other = info.brownianNoise() ? NoiseKind.SEQUENTIAL : NoiseKind.BROWNIAN;
            assertArrayEquals(run(info, Map.of(), 5, expected), byDefault, info.name() + " default should be " + expected);
            assertTrue(Vec.rmsDistance(run(info, Map.of(), 5, other), byDefault) > 0.1, info.name() + " default is not " + other);
        }));
    }

    /**
     * Why the SDE samplers use a Brownian tree: every step count sees the same Brownian path, so the
     * results converge pathwise (strongly) as steps grow, while sequential noise gives unrelated samples.
     * Measured rms |x_n - x_2n| for n = 10..80 (64 rows): dpmpp_sde 0.21, 0.13, 0.088, 0.040;
     * dpmpp_2m_sde 0.27, 0.092, 0.039, 0.016; dpmpp_3m_sde 0.86, 0.090, 0.035, 0.016; sequential noise at
     * n = 80: 0.61-0.66.
     */
    @TestFactory
    Stream<DynamicTest> brownianNoiseConvergesPathwise() {
        return stochastic().filter(SamplerInfo::brownianNoise).map(info -> DynamicTest.dynamicTest(info.name(), () -> {
            double[] d = new double[4];
            for (int k = 0; k < d.length; k++) {
                int steps = 10 << k;
                d[k] = Vec.rmsDistance(runSteps(info, steps, NoiseKind.BROWNIAN), runSteps(info, 2 * steps, NoiseKind.BROWNIAN));
            }
            double sequential = Vec.rmsDistance(runSteps(info, 80, NoiseKind.SEQUENTIAL), runSteps(info, 160, NoiseKind.SEQUENTIAL));
            String msg = info.name() + ": |x_n - x_2n| for n = 10, 20, 40, 80: " + java.util.Arrays.toString(d)
                    + "; with sequential noise at n = 80: " + sequential;
            assertTrue(d[3] < 0.3 * d[0], msg);
            assertTrue(d[3] < 0.15 * sequential, msg);
        }));
    }

    /** One Gaussian, so that samples cannot switch between modes across step counts. */
    static final Model GAUSSIAN = GaussianMixture.gaussian(new double[] {0.5, -0.5}, 0.5, 0.002, 80).model("gaussian");

    static float[] runSteps(SamplerInfo info, int steps, NoiseKind kind) {
        return Stepwise.sample(SampleRequest.builder(GAUSSIAN).sampler(info.name()).scheduler("karras").steps(steps)
                .seed(3).batch(BATCH).initialNoise(START).noise(kind).build()).samples().data();
    }

    @Test
    void sdeSamplersDefaultToBrownianNoise() {
        for (String name : new String[] {"dpmpp_sde", "dpmpp_2m_sde", "dpmpp_3m_sde"}) {
            assertTrue(Samplers.get(name).brownianNoise(), name);
        }
        for (String name : new String[] {"euler_ancestral", "dpm_2_ancestral", "dpmpp_2s_ancestral", "ddpm"}) {
            assertFalse(Samplers.get(name).brownianNoise(), name);
        }
    }

    @TestFactory
    Stream<DynamicTest> negativeEtaIsRejected() {
        return Samplers.all().stream().filter(StochasticSamplerFactsTest::hasEta).map(info ->
                DynamicTest.dynamicTest(info.name(), () -> {
                    var e = assertThrows(IllegalArgumentException.class, () -> info.create(Map.of("eta", -0.5)));
                    String range = info.parameters().stream().filter(p -> p.name().equals("eta")).findFirst()
                            .orElseThrow().rangeText();
                    assertTrue(range.startsWith("[0, "), info.name() + " eta range " + range);
                    assertTrue(e.getMessage().contains("eta") && e.getMessage().contains(range), e.getMessage());
                }));
    }

    @Test
    void unknownSolverTypeIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> Stepwise.sample(SampleRequest.builder(MODEL)
                .sampler("dpmpp_2m_sde").samplerParameter("solver_type", "euler").build()));
        assertTrue(e.getMessage().contains("solver_type") && e.getMessage().contains("midpoint|heun"), e.getMessage());
        Samplers.get("dpmpp_2m_sde").create(Map.of("solver_type", "heun"));
    }

    @Test
    void intermediatePointOutsideTheStepIsRejected() {
        for (double r : new double[] {0, -0.5, 1.5}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Samplers.get("dpmpp_sde").create(Map.of("r", r)));
            assertTrue(e.getMessage().contains("r = ") && e.getMessage().contains("(0, 1]"), e.getMessage());
        }
    }

    @Test
    void negativeNoiseScaleIsRejected() {
        stochastic().filter(info -> info.parameters().stream().anyMatch(p -> p.name().equals("s_noise"))).forEach(info -> {
            var e = assertThrows(IllegalArgumentException.class, () -> info.create(Map.of("s_noise", -1)));
            assertTrue(e.getMessage().contains("s_noise"), e.getMessage());
        });
    }
}
