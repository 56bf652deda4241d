package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.AcceptedSteps;
import dev.stepwise.core.sampling.AncestralStep;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.tensor.Vec;
import java.util.List;

/**
 * Adaptive DPM-Solver-12 / -23 (Lu et al. 2022, arXiv:2206.00927, sec. 3.4 and Algorithm 6; k-diffusion's
 * {@code sample_dpm_adaptive}): each trial step from t to t + h (t = -log sigma) computes a lower- and a
 * higher-order solution (DPM-Solver-2 with r1 = 1/3 and -3 for order 3, 2 calls then 3; -1 and -2 for order 2),
 * error = rms((x_low - x_high) / max(atol, rtol max(|x_low|, |x_prev|))) over the whole batch, and a PID step-size
 * controller (Soderlind 2003) with limiter 1 + atan(f - 1) proposes h *= f, accepting the step when
 * f >= accept_safety. Accepted steps keep x_high (plus ancestral noise with eta > 0). As ComfyUI, it runs from
 * sigmas[0] to the last positive sigma and ignores the steps in between; every trial costs {@code order} calls,
 * accepted or not, and the run's count is what it reports.
 */
public record DpmAdaptive(int order, double rtol, double atol, double hInit, double pcoeff, double icoeff,
                          double dcoeff, double acceptSafety, double eta, double sNoise) implements Sampler {

    public static final List<Parameter> PARAMETERS = List.of(
            Parameter.integer("order", 3, 2, 3, "order of the higher solution of the embedded pair (2: DPM-Solver-12, 3: -23)"),
            Parameter.positive("rtol", 0.05, 0, Double.POSITIVE_INFINITY, "relative tolerance of the step error"),
            Parameter.positive("atol", 0.0078, 0, Double.POSITIVE_INFINITY, "absolute tolerance of the step error"),
            Parameter.positive("h_init", 0.05, 0, Double.POSITIVE_INFINITY, "first trial step in t = -log sigma"),
            Parameter.real("pcoeff", 0, 0, Double.POSITIVE_INFINITY, "proportional gain of the step-size controller"),
            Parameter.real("icoeff", 1, 0, Double.POSITIVE_INFINITY, "integral gain of the step-size controller"),
            Parameter.real("dcoeff", 0, 0, Double.POSITIVE_INFINITY, "derivative gain of the step-size controller"),
            Parameter.positive("accept_safety", 0.81, 0, 1, "smallest step-size factor at which a step is accepted"),
            Parameter.real("eta", 0, 0, Double.POSITIVE_INFINITY, "ancestral noise after each accepted step (0: the ODE)"),
            Parameter.real("s_noise", 1, 0, Double.POSITIVE_INFINITY, "scale of the ancestral noise"));

    public static final SamplerInfo INFO = SamplerInfo.builder("dpm_adaptive")
            .description("adaptive DPM-Solver-23 with PID step-size control; ignores the step count")
            .order(3).calls(3, false).stochastic(false).adaptive()
            .reference("Lu et al. 2022 (DPM-Solver) sec. 3.4, Algorithm 6; k-diffusion sample_dpm_adaptive")
            .parameters(PARAMETERS)
            .create(o -> new DpmAdaptive(o.integer("order"), o.real("rtol"), o.real("atol"), o.real("h_init"),
                    o.real("pcoeff"), o.real("icoeff"), o.real("dcoeff"), o.real("accept_safety"), o.real("eta"),
                    o.real("s_noise")));

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        if (sigmas.length <= 1) {
            return;
        }
        double sigmaMin = DpmSolver.sigmaMin(sigmas, "dpm_adaptive");
        double tEnd = DpmSolver.t(sigmaMin);
        double s = DpmSolver.t(sigmas[0]);
        DpmSolver solver = new DpmSolver(ctx);
        float[] low = ctx.buffer(), high = ctx.buffer(), prev = x.clone(), noise = ctx.buffer();
        Controller pid = new Controller(hInit, eta > 0 ? 1.5 : order);
        AcceptedSteps accepted = new AcceptedSteps(sigmas[0]);
        while (s < tEnd - 1e-5) {
            double t = Math.min(tEnd, s + pid.h);
            double tDown = t, sigmaUp = 0;
            if (eta > 0) {
                // Ancestral split of sigma(s) -> sigma(t); the deterministic part goes to sigma_down (not past the end).
                AncestralStep a = AncestralStep.ve(DpmSolver.sigma(s), DpmSolver.sigma(t), eta);
                tDown = Math.min(tEnd, DpmSolver.t(a.sigmaDown()));
                double st = DpmSolver.sigma(t), sd = DpmSolver.sigma(tDown);
                sigmaUp = Math.sqrt(Math.max(0, st * st - sd * sd));
            }
            solver.begin(x, s);
            if (order == 2) {
                solver.first(x, s, tDown, low);
                solver.second(x, s, tDown, 0.5, high);
            } else {
                solver.second(x, s, tDown, 1.0 / 3, low);
                solver.third(x, s, tDown, high);
            }
            double sum = 0;
            for (int i = 0; i < x.length; i++) {
                double delta = Math.max(atol, rtol * Math.max(Math.abs(low[i]), Math.abs(prev[i])));
                double e = (low[i] - high[i]) / delta;
                sum += e * e;
            }
            double error = Math.sqrt(sum / x.length);
            if (!Double.isFinite(error)) {
                throw new IllegalStateException("dpm_adaptive: non-finite step error at sigma " + DpmSolver.sigma(s));
            }
            if (pid.accept(error)) {
                Vec.copy(low, prev);
                Vec.copy(high, x);
                if (sigmaUp > 0 && sNoise > 0) {
                    ctx.noise(DpmSolver.sigma(s), DpmSolver.sigma(t), noise);
                    Vec.axpy(sigmaUp * sNoise, noise, x);
                }
                s = t;
                accepted.accept(ctx, DpmSolver.sigma(s), x, solver.denoised);
            }
            if (!(pid.h > 1e-10)) {
                throw new IllegalStateException("dpm_adaptive: step size underflow at sigma " + DpmSolver.sigma(s));
            }
        }
    }

    /**
     * k-diffusion's PIDStepSizeController: with inverse errors e_n = 1 / (err_n + 1e-8), the factor
     * e_0^{b1} e_1^{b2} e_2^{b3} (b1 = (p + i + d) / k, b2 = -(p + 2d) / k, b3 = d / k, k the order) is limited by
     * 1 + atan(f - 1); the step is accepted when the factor is at least accept_safety, and h is scaled either way.
     */
    private final class Controller {
        double h;
        private final double b1, b2, b3;
        private final double[] errs = new double[3];
        private boolean started;

        Controller(double h, double order) {
            this.h = h;
            b1 = (pcoeff + icoeff + dcoeff) / order;
            b2 = -(pcoeff + 2 * dcoeff) / order;
            b3 = dcoeff / order;
        }

        boolean accept(double error) {
            double inv = 1 / (error + 1e-8);
            if (!started) {
                java.util.Arrays.fill(errs, inv);
                started = true;
            }
            errs[0] = inv;
            double factor = Math.pow(errs[0], b1) * Math.pow(errs[1], b2) * Math.pow(errs[2], b3);
            factor = 1 + Math.atan(factor - 1);
            boolean accept = factor >= acceptSafety;
            if (accept) {
                errs[2] = errs[1];
                errs[1] = errs[0];
            }
            h *= factor;
            return accept;
        }
    }
}
