package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleRequest.NoiseKind;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.tensor.Vec;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Samplers that ComfyUI lists under a second name. The {@code _gpu} ones differ in ComfyUI only in the device
 * their Brownian-tree noise is generated on; here they are documented as the same sampler (see
 * {@link GpuNoiseAliases}), so what is asserted is equality: the same declared facts and parameters, and
 * bit-identical samples for the same request (seed, parameters, every noise kind). The other names are their
 * base sampler with a fixed setting, also bit-identical.
 */
class SamplerAliasesTest {

    static float[] run(String sampler, Map<String, ?> params, NoiseKind noise, long seed) {
        return Stepwise.sample(SampleRequest.builder(StochasticDistributionTest.MIXTURE.model("mixture")).sampler(sampler)
                .samplerParameters(params).scheduler("karras").steps(12).seed(seed).batch(32).noise(noise).build())
                .samples().data();
    }

    static void assertSameSampler(String alias, String base, Map<String, ?> aliasParams, Map<String, ?> baseParams) {
        for (NoiseKind kind : NoiseKind.values()) {
            for (long seed : new long[] {1, 2}) {
                assertArrayEquals(run(base, baseParams, kind, seed), run(alias, aliasParams, kind, seed),
                        alias + " vs " + base + ", " + kind + " noise, seed " + seed);
            }
        }
    }

    @Test
    void gpuAliasesAreTheirBaseSamplers() {
        String[][] pairs = {{"dpmpp_sde_gpu", "dpmpp_sde"}, {"dpmpp_2m_sde_gpu", "dpmpp_2m_sde"},
                {"dpmpp_2m_sde_heun_gpu", "dpmpp_2m_sde_heun"}, {"dpmpp_3m_sde_gpu", "dpmpp_3m_sde"}};
        for (String[] p : pairs) {
            SamplerInfo alias = Samplers.get(p[0]), base = Samplers.get(p[1]);
            assertEquals(base.order(), alias.order(), p[0]);
            assertEquals(base.callsPerStep(), alias.callsPerStep(), p[0]);
            assertEquals(base.finalStepSingleCall(), alias.finalStepSingleCall(), p[0]);
            assertEquals(base.stochastic(), alias.stochastic(), p[0]);
            assertEquals(base.brownianNoise(), alias.brownianNoise(), p[0]);
            assertEquals(base.parameters(), alias.parameters(), p[0]);
            assertSameSampler(p[0], p[1], Map.of(), Map.of());
            assertSameSampler(p[0], p[1], Map.of("eta", 0.5, "s_noise", 0.9), Map.of("eta", 0.5, "s_noise", 0.9));
        }
    }

    @Test
    void dpmpp2mSdeHeunIsDpmpp2mSdeWithHeunWeights() {
        Parameter solver = Samplers.get("dpmpp_2m_sde_heun").parameters().stream()
                .filter(p -> p.name().equals("solver_type")).findFirst().orElseThrow();
        assertEquals("heun", solver.defaultText());
        assertSameSampler("dpmpp_2m_sde_heun", "dpmpp_2m_sde", Map.of(), Map.of("solver_type", "heun"));
        assertSameSampler("dpmpp_2m_sde_heun", "dpmpp_2m_sde", Map.of("solver_type", "midpoint"), Map.of());
        // The two weights are different methods: the results differ by more than rounding.
        assertTrue(Vec.rmsDistance(run("dpmpp_2m_sde_heun", Map.of(), NoiseKind.DEFAULT, 1),
                run("dpmpp_2m_sde", Map.of(), NoiseKind.DEFAULT, 1)) > 1e-4);
    }

    @Test
    void expHeunSdeWithoutNoiseIsExpHeun() {
        for (String solver : new String[] {"phi_2", "phi_1"}) {
            assertSameSampler("exp_heun_2_x0_sde", "exp_heun_2_x0", Map.of("eta", 0, "solver_type", solver),
                    Map.of("solver_type", solver));
        }
    }
}
