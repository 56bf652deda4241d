package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;
import java.util.List;

/**
 * Uniform in the model's timestep from t(sigma_max) to t(sigma_min), then 0 (ComfyUI's {@code normal});
 * with {@code sgm} (ComfyUI's {@code sgm_uniform}) steps + 1 timesteps are spaced and the last dropped,
 * as in Stability's generative-models sampler.
 */
public record NormalScheduler(boolean sgm) implements Scheduler {

    public static final SchedulerInfo NORMAL = new SchedulerInfo("normal",
            "uniform in the model's timestep between sigma_max and sigma_min", "ComfyUI normal_scheduler",
            List.of(), o -> new NormalScheduler(false));

    public static final SchedulerInfo SGM_UNIFORM = new SchedulerInfo("sgm_uniform",
            "uniform in timestep over steps + 1 points, the last dropped (Stability's SGM sampler)",
            "ComfyUI normal_scheduler(sgm=True)", List.of(), o -> new NormalScheduler(true));

    @Override
    public double[] sigmas(ModelSampling s, int steps) {
        Sigmas.requireSteps(steps);
        double start = s.timestep(s.sigmaMax()), end = s.timestep(s.sigmaMin());
        boolean appendZero = true;
        int n = steps;
        double[] ts;
        if (sgm) {
            ts = new double[n];
            for (int i = 0; i < n; i++) {
                ts[i] = start + (end - start) * i / n;
            }
        } else {
            if (Math.abs(s.sigma(end)) <= 1e-5) {
                // A model whose lowest timestep is sigma 0 gets that 0 from the timestep grid itself.
                n++;
                appendZero = false;
            }
            ts = new double[n];
            for (int i = 0; i < n; i++) {
                ts[i] = n == 1 ? start : start + (end - start) * i / (n - 1);
            }
        }
        double[] sig = new double[appendZero ? n + 1 : n];
        for (int i = 0; i < n; i++) {
            sig[i] = s.sigma(ts[i]);
        }
        return sig;
    }
}
