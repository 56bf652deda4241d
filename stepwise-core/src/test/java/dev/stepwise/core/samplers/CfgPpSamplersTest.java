package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.model.Model;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.testing.FlowMixture;
import dev.stepwise.core.testing.LabelledMixture;
import dev.stepwise.core.testing.SamplerRuns;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every {@code _cfg_pp} sampler against the CFG++ update (Chung et al. 2024) as ComfyUI's
 * {@code comfy/k_diffusion/sampling.py} writes it, on a class-labelled Gaussian mixture where the conditional and
 * unconditional x0 estimates are exact ({@link LabelledMixture}, computed in double from the component formulas):
 * a few steps from fixed starting rows, with the step noise of the ancestral samplers a known function, are
 * recomputed here in double and compared with the sampler's float result. The update rules below are written out
 * from the reference, not taken from the samplers. Negative control: the plain-CFG base sampler at the same scale
 * is far from the CFG++ answer, so the comparison can tell the two apart.
 */
class CfgPpSamplersTest {
    static final float[] START = SamplerRuns.startAt(new double[] {0, 0}, 4, 8, 4242);
    static final List<double[]> SIGMA_LISTS = List.of(new double[] {4, 1.9, 0.8, 0.3, 0}, new double[] {4, 2.5, 1.2, 0.7, 0.3});
    /** float32 result against the double recomputation: relative to max(1, |x|). */
    static final double TOLERANCE = 1e-5;

    /** A case: sampler parameters and guidance scale. */
    record Case(Map<String, ?> parameters, double cfg) {
    }

    static Stream<SamplerInfo> cfgPpSamplers() {
        return Samplers.all().stream().filter(info -> info.name().endsWith("_cfg_pp"));
    }

    static SamplerInfo base(SamplerInfo cfgPp) {
        return Samplers.get(cfgPp.name().substring(0, cfgPp.name().length() - "_cfg_pp".length()));
    }

    static List<Case> cases(SamplerInfo info) {
        List<Case> cases = new ArrayList<>();
        boolean hasEta = info.parameters().stream().anyMatch(p -> p.name().equals("eta"));
        boolean hasGamma = info.parameters().stream().anyMatch(p -> p.name().equals("ge_gamma"));
        for (double cfg : new double[] {0.6, 1, 1.8}) {
            cases.add(new Case(Map.of(), cfg));
            if (hasEta) {
                cases.add(new Case(Map.of("eta", 0.0), cfg));
                cases.add(new Case(Map.of("eta", 0.5, "s_noise", 0.8), cfg));
            }
            if (hasGamma) {
                cases.add(new Case(Map.of("ge_gamma", 1.4), cfg));
            }
        }
        return cases;
    }

    @TestFactory
    Stream<DynamicTest> everyCfgPpSamplerFollowsTheCfgPpUpdate() {
        return cfgPpSamplers().map(info -> DynamicTest.dynamicTest(info.name(), () -> {
            for (Case c : cases(info)) {
                for (double[] sigmas : SIGMA_LISTS) {
                    double[] expected = expected(info.name(), info.options(c.parameters()).asMap(), c.cfg(), START, sigmas);
                    float[] actual = LabelledMixture.run(info, c.parameters(), c.cfg(), START, sigmas, false);
                    String where = String.format(Locale.ROOT, "%s %s cfg %.1f over %d steps to %.1f", info.name(),
                            c.parameters(), c.cfg(), sigmas.length - 1, sigmas[sigmas.length - 1]);
                    double error = relativeError(actual, expected);
                    System.out.printf(Locale.ROOT, "%s: largest error vs the CFG++ update %.2e%n", where, error);
                    assertTrue(error < TOLERANCE, where + ": differs from the CFG++ update by " + error);

                    float[] cfg = LabelledMixture.run(base(info), c.parameters(), c.cfg(), START, sigmas, false);
                    double gap = relativeError(cfg, expected);
                    assertTrue(gap > 1e-2, where + ": plain CFG (" + base(info).name() + ") is only " + gap
                            + " from the CFG++ answer; the test could not tell them apart");
                }
            }
        }));
    }

    /**
     * The two CFG++ samplers whose update carries alpha = 1 - sigma for rectified-flow models, on the mixture as a
     * flow model ({@link FlowMixture}), against ComfyUI's flow forms: euler_ancestral_cfg_pp splits the scaled levels
     * sigma / alpha, dpmpp_2s_ancestral_cfg_pp uses the {@code _RF} split and adds (1 - sigma_next)(D_g - D_u).
     */
    @Test
    void flowFormsFollowTheCfgPpUpdate() {
        Model flow = FlowMixture.model(LabelledMixture.MIXTURE, 3);
        float[] start = SamplerRuns.startAt(new double[] {0, 0}, 0.9, 8, 77);
        for (double[] sigmas : List.of(new double[] {0.9, 0.7, 0.45, 0.2, 0}, new double[] {0.95, 0.6, 0.3, 0.1})) {
            for (double cfg : new double[] {0.6, 1, 1.8}) {
                for (double eta : new double[] {0, 0.5, 1}) {
                    Map<String, Object> p = Map.of("eta", eta, "s_noise", 0.8);
                    double[] e1 = flowEulerAncestral(toDouble(start), sigmas, cfg, eta, 0.8);
                    float[] a1 = LabelledMixture.run(flow, EulerAncestralCfgPp.INFO, p, cfg, start, sigmas, false);
                    double[] e2 = flowDpmpp2sAncestral(toDouble(start), sigmas, cfg, eta, 0.8);
                    float[] a2 = LabelledMixture.run(flow, Dpmpp2sAncestralCfgPp.INFO, p, cfg, start, sigmas, false);
                    String where = String.format(Locale.ROOT, "flow, cfg %.1f, eta %.1f, %d steps", cfg, eta, sigmas.length - 1);
                    System.out.printf(Locale.ROOT, "%s: euler_ancestral_cfg_pp %.2e, dpmpp_2s_ancestral_cfg_pp %.2e%n",
                            where, relativeError(a1, e1), relativeError(a2, e2));
                    assertTrue(relativeError(a1, e1) < TOLERANCE, "euler_ancestral_cfg_pp " + where + ": " + relativeError(a1, e1));
                    assertTrue(relativeError(a2, e2) < TOLERANCE, "dpmpp_2s_ancestral_cfg_pp " + where + ": " + relativeError(a2, e2));
                }
            }
        }
    }

    /**
     * sample_euler_ancestral_cfg_pp for flow: x = alpha_t D_g + alpha_t s_down eps_u + alpha_t s_up n, eps_u =
     * (x - alpha D_u) / sigma, (s_down, s_up) the VE split of sigma / alpha -> sigma_next / alpha_next.
     */
    static double[] flowEulerAncestral(double[] x, double[] sigmas, double w, double eta, double sNoise) {
        for (int i = 0; i < sigmas.length - 1; i++) {
            double s = sigmas[i], sn = sigmas[i + 1], alpha = 1 - s, alphaNext = 1 - sn;
            double[] g = flowGuided(x, s, w), u = LabelledMixture.flowPosteriorMeans(x, s, false);
            double[] split = split(s / alpha, sn / alphaNext, eta);
            for (int j = 0; j < x.length; j++) {
                double d = (x[j] - alpha * u[j]) / s;
                x[j] = sn == 0 ? g[j] : alphaNext * g[j] + alphaNext * split[0] * d
                        + alphaNext * sNoise * split[1] * LabelledMixture.knownNoise(j, s, sn);
            }
        }
        return x;
    }

    /** sample_dpmpp_2s_ancestral_RF_cfg_pp. */
    static double[] flowDpmpp2sAncestral(double[] x, double[] sigmas, double w, double eta, double sNoise) {
        for (int i = 0; i < sigmas.length - 1; i++) {
            double s = sigmas[i], sn = sigmas[i + 1];
            double[] g = flowGuided(x, s, w), u = LabelledMixture.flowPosteriorMeans(x, s, false);
            double sd = sn * (1 + (sn / s - 1) * eta), alphaNext = 1 - sn, alphaDown = 1 - sd;
            double renoise = Math.sqrt(sn * sn - sd * sd * alphaNext * alphaNext / (alphaDown * alphaDown));
            if (sn == 0) {
                x = u.clone();
            } else {
                double lambda = Math.log((1 - s) / s), lambdaDown = Math.log((1 - sd) / sd);
                double sigmaS = 1 / (1 + Math.exp(lambda + (lambdaDown - lambda) / 2));
                double[] xMid = new double[x.length];
                for (int j = 0; j < x.length; j++) {
                    xMid[j] = sigmaS / s * x[j] + (1 - sigmaS / s) * u[j];
                }
                double[] u2 = LabelledMixture.flowPosteriorMeans(xMid, sigmaS, false);
                for (int j = 0; j < x.length; j++) {
                    x[j] = sd / s * x[j] + (1 - sd / s) * u2[j];
                    if (eta > 0) {
                        x[j] = alphaNext / alphaDown * x[j] + sNoise * renoise * LabelledMixture.knownNoise(j, s, sn);
                    }
                }
            }
            for (int j = 0; j < x.length; j++) {
                x[j] += alphaNext * (g[j] - u[j]);
            }
        }
        return x;
    }

    static double[] flowGuided(double[] x, double sigma, double w) {
        double[] c = LabelledMixture.flowPosteriorMeans(x, sigma, true), u = LabelledMixture.flowPosteriorMeans(x, sigma, false);
        double[] g = new double[x.length];
        for (int i = 0; i < g.length; i++) {
            g[i] = u[i] + w * (c[i] - u[i]);
        }
        return g;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /**
     * Without guidance (D_g = D_u) CFG++ renoises along the same x0 it lands on: each variant is its base sampler.
     * Checked with cond = uncond at cfg 1 and 2.5. (With a real negative prompt at cfg 1, CFG++ still lands on D_c
     * and renoises along D_u, as ComfyUI's CFG++ samplers do by turning off the cfg = 1 shortcut; the exact-update
     * tests above cover cfg 1 with a label.)
     */
    @TestFactory
    Stream<DynamicTest> withoutGuidanceEachVariantIsItsBaseSampler() {
        return cfgPpSamplers().map(info -> DynamicTest.dynamicTest(info.name(), () -> {
            SamplerInfo base = base(info);
            for (double[] sigmas : SIGMA_LISTS) {
                for (double cfg : new double[] {1, 2.5}) {
                    float[] a = LabelledMixture.run(info, Map.of(), cfg, START, sigmas, true);
                    float[] b = LabelledMixture.run(base, Map.of(), cfg, START, sigmas, true);
                    double[] bd = new double[b.length];
                    for (int i = 0; i < b.length; i++) {
                        bd[i] = b[i];
                    }
                    double error = relativeError(a, bd);
                    assertTrue(error < 1e-5, info.name() + " vs " + base.name() + " at cfg " + cfg + ": " + error);
                }
            }
        }));
    }

    /** The registry facts of a variant: CFG++ flag, and the order, calls, noise and parameters of its base sampler. */
    @Test
    void cfgPpVariantsAreFlaggedAndShareTheirBaseFacts() {
        assertEquals(7, cfgPpSamplers().count());
        for (SamplerInfo info : Samplers.all()) {
            assertEquals(info.name().endsWith("_cfg_pp"), info.cfgPp(), info.name() + " cfgPp flag");
        }
        cfgPpSamplers().forEach(info -> {
            SamplerInfo base = base(info);
            assertNotNull(base);
            assertFalse(base.cfgPp());
            assertEquals(base.order(), info.order(), info.name());
            assertEquals(base.callsPerStep(), info.callsPerStep(), info.name());
            assertEquals(base.finalStepSingleCall(), info.finalStepSingleCall(), info.name());
            assertEquals(base.stochastic(), info.stochastic(), info.name());
            assertTrue(info.description().contains("0-2"), info.name() + " describes its guidance range");
            // euler has churn parameters that ComfyUI's euler_cfg_pp does not take
            if (!base.name().equals("euler")) {
                assertEquals(base.parameters(), info.parameters(), info.name());
            }
        });
    }

    // ----- the CFG++ updates, written out from ComfyUI's sampling.py (VE form: alpha = 1) -----

    static double[] expected(String name, Map<String, Object> p, double w, float[] start, double[] sigmas) {
        double[] x = new double[start.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = start[i];
        }
        double eta = p.containsKey("eta") ? ((Number) p.get("eta")).doubleValue() : 0;
        double sNoise = p.containsKey("s_noise") ? ((Number) p.get("s_noise")).doubleValue() : 0;
        return switch (name) {
            case "euler_cfg_pp", "euler_ancestral_cfg_pp" -> eulerAncestral(x, sigmas, w, eta, sNoise);
            case "dpmpp_2s_ancestral_cfg_pp" -> dpmpp2sAncestral(x, sigmas, w, eta, sNoise);
            case "dpmpp_2m_cfg_pp" -> dpmpp2m(x, sigmas, w);
            case "res_multistep_cfg_pp", "res_multistep_ancestral_cfg_pp" -> resMultistep(x, sigmas, w, eta, sNoise);
            case "gradient_estimation_cfg_pp" -> gradientEstimation(x, sigmas, w, ((Number) p.get("ge_gamma")).doubleValue());
            default -> throw new AssertionError("no CFG++ reference update written for " + name);
        };
    }

    /** x = D_g + sigma_down (x - D_u) / sigma + s_noise sigma_up n (sample_euler_ancestral_cfg_pp, alpha = 1). */
    static double[] eulerAncestral(double[] x, double[] sigmas, double w, double eta, double sNoise) {
        for (int i = 0; i < sigmas.length - 1; i++) {
            double s = sigmas[i], sn = sigmas[i + 1];
            double[] g = LabelledMixture.guided(x, s, w), u = LabelledMixture.posteriorMeans(x, s, false);
            double[] split = split(s, sn, eta);
            for (int j = 0; j < x.length; j++) {
                x[j] = g[j] + split[0] * (x[j] - u[j]) / s + sNoise * split[1] * LabelledMixture.knownNoise(j, s, sn);
            }
        }
        return x;
    }

    /**
     * 2S with the unconditional estimates at both stages (t = -log sigma, midpoint s = t + h/2), noise, then
     * + (D_g - D_u) of the first stage (sample_dpmpp_2s_ancestral_cfg_pp).
     */
    static double[] dpmpp2sAncestral(double[] x, double[] sigmas, double w, double eta, double sNoise) {
        for (int i = 0; i < sigmas.length - 1; i++) {
            double s = sigmas[i], sn = sigmas[i + 1];
            double[] g = LabelledMixture.guided(x, s, w), u = LabelledMixture.posteriorMeans(x, s, false);
            double[] split = split(s, sn, eta);
            if (split[0] == 0) {
                x = u.clone();
            } else {
                double t = -Math.log(s), h = -Math.log(split[0]) - t, sigmaS = Math.exp(-(t + h / 2));
                double[] x2 = new double[x.length];
                for (int j = 0; j < x.length; j++) {
                    x2[j] = sigmaS / s * x[j] - Math.expm1(-h / 2) * u[j];
                }
                double[] u2 = LabelledMixture.posteriorMeans(x2, sigmaS, false);
                for (int j = 0; j < x.length; j++) {
                    x[j] = split[0] / s * x[j] - Math.expm1(-h) * u2[j];
                }
            }
            for (int j = 0; j < x.length; j++) {
                x[j] += (sn > 0 ? sNoise * split[1] * LabelledMixture.knownNoise(j, s, sn) : 0) + g[j] - u[j];
            }
        }
        return x;
    }

    /**
     * x = D_g - e^{-h} D_u - (e^{-h} - 1) / (2r) (D_g - D_u,prev) + e^{-h} x, the last term's part only with history
     * and sigma_next > 0 (sample_dpmpp_2m_cfg_pp).
     */
    static double[] dpmpp2m(double[] x, double[] sigmas, double w) {
        double[] oldU = null;
        for (int i = 0; i < sigmas.length - 1; i++) {
            double s = sigmas[i], sn = sigmas[i + 1];
            double[] g = LabelledMixture.guided(x, s, w), u = LabelledMixture.posteriorMeans(x, s, false);
            double t = -Math.log(s), h = -Math.log(sn) - t, decay = Math.exp(-h);
            for (int j = 0; j < x.length; j++) {
                double mix = -decay * u[j];
                if (oldU != null && sn > 0) {
                    double r = (t + Math.log(sigmas[i - 1])) / h;
                    mix -= Math.expm1(-h) / (2 * r) * (g[j] - oldU[j]);
                }
                x[j] = g[j] + mix + (sn == 0 ? 0 : decay * x[j]);
            }
            oldU = u;
        }
        return x;
    }

    /**
     * res_multistep with cfg_pp: first-order steps x = D_g + sigma_down (x - D_u) / sigma; multistep steps
     * x += D_g - D_u, then x = e^{-h} x + h (b1 D_u + b2 D_u,prev) with b2 = phi2(-h) / c2, b1 = phi1(-h) - b2,
     * c2 = (t_prev - t_old) / h; noise s_noise sigma_up n.
     */
    static double[] resMultistep(double[] x, double[] sigmas, double w, double eta, double sNoise) {
        double[] oldU = null;
        double oldSigmaDown = Double.NaN;
        for (int i = 0; i < sigmas.length - 1; i++) {
            double s = sigmas[i], sn = sigmas[i + 1];
            double[] g = LabelledMixture.guided(x, s, w), u = LabelledMixture.posteriorMeans(x, s, false);
            double[] split = split(s, sn, eta);
            if (split[0] == 0 || oldU == null) {
                for (int j = 0; j < x.length; j++) {
                    x[j] = g[j] + (x[j] - u[j]) / s * split[0];
                }
            } else {
                double t = -Math.log(s), tOld = -Math.log(oldSigmaDown), tNext = -Math.log(split[0]);
                double tPrev = -Math.log(sigmas[i - 1]);
                double h = tNext - t, c2 = (tPrev - tOld) / h;
                double phi1 = Math.expm1(-h) / -h, phi2 = (phi1 - 1) / -h;
                double b1 = phi1 - phi2 / c2, b2 = phi2 / c2;
                for (int j = 0; j < x.length; j++) {
                    x[j] = Math.exp(-h) * (x[j] + g[j] - u[j]) + h * (b1 * u[j] + b2 * oldU[j]);
                }
            }
            if (sn > 0) {
                for (int j = 0; j < x.length; j++) {
                    x[j] += sNoise * split[1] * LabelledMixture.knownNoise(j, s, sn);
                }
            }
            oldU = u;
            oldSigmaDown = split[0];
        }
        return x;
    }

    /** d = (x - D_u) / sigma; x = D_g + d sigma_next, + (gamma - 1)(d - d_prev) dt from the second step (cfg_pp=True). */
    static double[] gradientEstimation(double[] x, double[] sigmas, double w, double gamma) {
        double[] oldD = null;
        for (int i = 0; i < sigmas.length - 1; i++) {
            double s = sigmas[i], sn = sigmas[i + 1];
            double[] g = LabelledMixture.guided(x, s, w), u = LabelledMixture.posteriorMeans(x, s, false);
            double[] d = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                d[j] = (x[j] - u[j]) / s;
                if (sn == 0) {
                    x[j] = g[j];
                } else {
                    x[j] = g[j] + d[j] * sn + (i >= 1 ? (gamma - 1) * (d[j] - oldD[j]) * (sn - s) : 0);
                }
            }
            oldD = d;
        }
        return x;
    }

    /** k-diffusion's get_ancestral_step: {sigma_down, sigma_up}. */
    static double[] split(double sigma, double sigmaNext, double eta) {
        if (eta == 0) {
            return new double[] {sigmaNext, 0};
        }
        double up = Math.min(sigmaNext, eta * Math.sqrt(sigmaNext * sigmaNext * (sigma * sigma - sigmaNext * sigmaNext) / (sigma * sigma)));
        return new double[] {Math.sqrt(sigmaNext * sigmaNext - up * up), up};
    }

    static double relativeError(float[] actual, double[] expected) {
        double e = 0;
        for (int i = 0; i < actual.length; i++) {
            e = Math.max(e, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
        }
        return e;
    }
}
