package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;
import java.util.ArrayList;
import java.util.List;

/**
 * DDIM's uniform timestep skipping (Song et al. 2021, section 4.2, "linear" tau) as ComfyUI's
 * {@code ddim_scheduler} does it: table indices 1, 1 + c, 1 + 2c, ... below T with c = max(int(T / steps), 1),
 * visited from the top, then 0. When int(T / steps) does not divide T - 1 this gives ceil((T - 1) / c)
 * levels, i.e. one step more than asked (ComfyUI's behaviour, kept). A model whose table[1] is 0 gets
 * that 0 as its last level instead of an appended one, with one stride more, as in ComfyUI.
 */
public record DdimUniformScheduler() implements Scheduler {

    public static final SchedulerInfo INFO = new SchedulerInfo("ddim_uniform",
            "DDIM's uniform timestep stride through the model's training sigmas",
            "Song et al. 2021 (DDIM) sec. 4.2; ComfyUI ddim_scheduler", List.of(), o -> new DdimUniformScheduler());

    @Override
    public double[] sigmas(ModelSampling sampling, int steps) {
        Sigmas.requireSteps(steps);
        double[] table = sampling.sigmaTable();
        boolean zeroInTable = Math.abs(table[1]) <= 1e-5;
        int stride = Math.max(table.length / (zeroInTable ? steps + 1 : steps), 1);
        List<Double> ascending = new ArrayList<>();
        if (!zeroInTable) {
            ascending.add(0.0);
        }
        for (int t = 1; t < table.length; t += stride) {
            ascending.add(table[t]);
        }
        double[] s = new double[ascending.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = ascending.get(s.length - 1 - i);
        }
        return s;
    }
}
