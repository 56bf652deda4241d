package dev.stepwise.harness.fit;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.core.schedule.Sigmas;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The schedules a fit may start from: every registered scheduler, and the names the VRG paper and DPM-Solver use
 * for their base trajectories. {@code uniform} is uniform in the model's timestep (ComfyUI's {@code normal}),
 * {@code logsnr} uniform in log sigma, i.e. in log-SNR ({@code exponential}), and {@code quadratic} quadratic in
 * the timestep, denser at low noise (DDIM's "quad" spacing, DPM-Solver's time_quadratic).
 */
public final class BaseSchedules {
    private static final Map<String, String> ALIASES = Map.of("uniform", "normal", "logsnr", "exponential");
    public static final String QUADRATIC = "quadratic";
    public static final String NAMES_TEXT = "uniform, logsnr, quadratic, or a scheduler name (karras, simple, ...)";

    private BaseSchedules() {
    }

    /** Every allowed base name: the paper's three, then the registered schedulers. */
    public static List<String> names() {
        List<String> n = new ArrayList<>(List.of("uniform", "logsnr", QUADRATIC));
        n.addAll(Schedulers.names());
        return n;
    }

    /**
     * The list sampler {@code info} walks for base {@code name} at {@code steps} steps on that model (with the
     * sampler's ComfyUI convention, e.g. uni_pc's dropped penultimate sigma).
     *
     * @throws IllegalArgumentException for an unknown name, naming the allowed ones
     */
    public static double[] sigmas(String name, ModelSampling sampling, int steps, SamplerInfo info) {
        Sigmas.requireSteps(steps);
        if (name.equals(QUADRATIC)) {
            return quadratic(sampling, steps);
        }
        String scheduler = ALIASES.getOrDefault(name, name);
        if (!Schedulers.names().contains(scheduler)) {
            throw new IllegalArgumentException("base schedule '" + name + "' is unknown; allowed: " + String.join(", ", names()));
        }
        return Sigmas.forRun(Schedulers.get(scheduler).create(), sampling, steps, 1.0, info.discardPenultimate());
    }

    /** Timesteps t_min + (t_max - t_min) (1 - i / (steps - 1))^2 for i = 0 .. steps - 1 (dense near t_min), then sigma 0. */
    static double[] quadratic(ModelSampling sampling, int steps) {
        double tMax = sampling.timestep(sampling.sigmaMax()), tMin = sampling.timestep(sampling.sigmaMin());
        double[] s = new double[steps + 1];
        for (int i = 0; i < steps; i++) {
            double u = steps == 1 ? 0 : 1 - (double) i / (steps - 1);
            s[i] = sampling.sigma(tMin + (tMax - tMin) * u * u);
        }
        s[0] = sampling.sigmaMax();
        s[steps - 1] = sampling.sigmaMin();
        s[steps] = 0;
        Sigmas.check(s);
        return s;
    }
}
