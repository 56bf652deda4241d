package dev.stepwise.core.samplers;

import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.sampling.Churn;
import dev.stepwise.core.sampling.ForwardNoise;
import dev.stepwise.core.sampling.Sampler;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.sampling.SamplingContext;
import dev.stepwise.core.sampling.TwoStageStep;
import dev.stepwise.core.schedule.KarrasScheduler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Restart sampling (Xu et al. 2023, "Restart Sampling for Improving Generative Processes"; A1111's
 * {@code restart_sampler}, k-diffusion style; not in ComfyUI's core list): Heun's method on the probability-flow ODE
 * ({@link TwoStageStep}, EDM Algorithm 2), and on reaching t_min, K times: jump back up to t_max with the forward
 * process's fresh noise (sqrt(t_max^2 - t_min^2) s_noise n in VE form; {@link ForwardNoise}) and run the ODE down
 * again over a Karras list of restart_steps Heun steps. The restarts contract the accumulated ODE error while the
 * added noise keeps the marginal exact.
 *
 * <p>Default rule (restart_times = -1, A1111's automatic list): below 20 steps there is no restart (plain Heun);
 * from 20 steps K = 1 restart of 9 steps, from 36 steps K = 2 restarts of steps / 4 steps; the main run is rebuilt
 * as a Karras list (rho 7) of steps - K * restart_steps steps between the list's first and last non-zero sigma, so the
 * total number of steps is kept. t_min and t_max are the sigmas of the list nearest 0.1 and 2 (the paper's EDM
 * setting); a restart happens only if the t_max sigma lies above the t_min one. With restart_times >= 0 the given
 * sigmas are walked as they are with that many restarts of restart_steps steps (-1: A1111's 9, or steps / 4 from 36).
 * A list not ending at 0 keeps its last sigma (A1111 would extend it to 0).
 *
 * <p>Model calls: 2 per Heun step, 1 for the step onto sigma = 0; the registry's rule counts them for the default
 * parameters. Progress is reported per ODE segment (main run, each restart, the rest).
 *
 * <p>Noise: A1111 draws the restart noise from the global generator, independent draws; so does the default
 * sequential noise here. With Brownian-tree noise requested, every restart asks for the same interval t_min -> t_max
 * and so gets the same increment: the restarts are then not independent.
 */
public record Restart(double sNoise, int restartTimes, int restartSteps, double tMin, double tMax) implements Sampler {

    public static final Parameter RESTART_TIMES = Parameter.integer("restart_times", -1, -1, 100,
            "restarts K at t_min (-1: A1111's automatic rule, which also rebuilds the schedule)");
    public static final Parameter RESTART_STEPS = Parameter.integer("restart_steps", -1, -1, 1000,
            "Heun steps of each restart from t_max down to t_min (-1: automatic); needs restart_times >= 0 when set");
    public static final Parameter T_MIN = Parameter.positive("t_min", 0.1, 0, Double.POSITIVE_INFINITY,
            "restart interval low end: the sigma of the list nearest this");
    public static final Parameter T_MAX = Parameter.positive("t_max", 2, 0, Double.POSITIVE_INFINITY,
            "restart interval high end: the sigma of the list nearest this");

    private static final Restart DEFAULT = new Restart(1, -1, -1, 0.1, 2);

    public static final SamplerInfo INFO = SamplerInfo.builder("restart")
            .description("Heun ODE steps with K restarts: noise back up from t_min to t_max, then solve down again")
            .order(2).calls(2, true).stochastic(true)
            .nfeRule(DEFAULT::modelCalls)
            .reference("Xu et al. 2023 (Restart sampling) restart algorithm; A1111 restart_sampler")
            .parameter(EulerAncestral.S_NOISE).parameter(RESTART_TIMES).parameter(RESTART_STEPS).parameter(T_MIN).parameter(T_MAX)
            .create(o -> new Restart(o.real("s_noise"), o.integer("restart_times"), o.integer("restart_steps"),
                    o.real("t_min"), o.real("t_max")));

    public Restart {
        if (restartTimes < 0 && restartSteps >= 0) {
            throw new IllegalArgumentException("sampler restart: restart_steps = " + restartSteps
                    + " needs restart_times >= 0 (restart_times = -1 is the automatic rule, which sets both)");
        }
        if (restartSteps == 0) {
            throw new IllegalArgumentException("sampler restart: restart_steps = 0 is not allowed; allowed: -1 (automatic) or 1..1000");
        }
        if (!(tMin < tMax)) {
            throw new IllegalArgumentException("sampler restart: t_min = " + tMin + " must be below t_max = " + tMax);
        }
    }

    /** The ODE segments to walk in order, each a descending sigma list; a restart segment starts above where the last ended. */
    List<double[]> segments(double[] sigmas) {
        int steps = sigmas.length - 1;
        int times = restartTimes, perRestart = restartSteps;
        double[] main = sigmas;
        if (restartTimes < 0) {
            if (steps < 20) {
                return List.of(sigmas);
            }
            times = steps >= 36 ? 2 : 1;
            perRestart = steps >= 36 ? steps / 4 : 9;
            int mainSteps = steps - perRestart * times;
            double last = sigmas[steps];
            main = last == 0
                    ? KarrasScheduler.karras(sigmas[steps - 1], sigmas[0], mainSteps, 7)
                    : Arrays.copyOf(KarrasScheduler.karras(last, sigmas[0], mainSteps + 1, 7), mainSteps + 1);
        } else if (perRestart < 0) {
            perRestart = steps >= 36 ? steps / 4 : 9;
        }
        int minIdx = nearest(main, tMin), maxIdx = nearest(main, tMax);
        if (times == 0 || maxIdx >= minIdx || minIdx == 0) {
            return List.of(main);
        }
        List<double[]> out = new ArrayList<>();
        out.add(Arrays.copyOfRange(main, 0, minIdx + 1));
        double[] restart = Arrays.copyOf(KarrasScheduler.karras(main[minIdx], main[maxIdx], perRestart + 1, 7), perRestart + 1);
        for (int k = 0; k < times; k++) {
            out.add(restart);
        }
        if (minIdx < main.length - 1) {
            out.add(Arrays.copyOfRange(main, minIdx, main.length));
        }
        return out;
    }

    /** Index of the sigma nearest {@code target} (the first on a tie, as torch.argmin). */
    private static int nearest(double[] sigmas, double target) {
        int best = 0;
        for (int i = 1; i < sigmas.length; i++) {
            if (Math.abs(sigmas[i] - target) < Math.abs(sigmas[best] - target)) {
                best = i;
            }
        }
        return best;
    }

    long modelCalls(double[] sigmas) {
        long n = 0;
        for (double[] segment : segments(sigmas)) {
            for (int i = 0; i < segment.length - 1; i++) {
                n += segment[i + 1] == 0 ? 1 : 2;
            }
        }
        return n;
    }

    @Override
    public void sample(SamplingContext ctx, float[] x, double[] sigmas) {
        TwoStageStep heun = new TwoStageStep(new Churn(0, 0, Double.POSITIVE_INFINITY, 1), (sigmaHat, sigmaNext) -> sigmaNext, 0.5);
        double last = Double.NaN;
        for (double[] segment : segments(sigmas)) {
            if (last < segment[0]) {                    // a restart: forward process from t_min up to t_max
                ctx.renoise(x, ForwardNoise.between(ctx.sampling(), last, segment[0]), sNoise, last, segment[0]);
            }
            heun.sample(ctx, x, segment);
            last = segment[segment.length - 1];
        }
    }
}
