package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.param.Parameter;
import java.util.List;

/**
 * Align Your Steps (Sabour, Fidler and Kreis 2024): the published optimised 10-step noise levels for
 * Stable Diffusion 1.5, SDXL and Stable Video Diffusion (NVIDIA's AYS how-to page). Other step counts
 * resample the 10-step list by log-linear interpolation (ComfyUI's {@code loglinear_interp}, the
 * authors' recipe); the last level sigma_min is then replaced by 0 as ComfyUI's AlignYourStepsScheduler
 * node does. The lists ignore the model's own sigma range.
 */
public record AlignYourStepsScheduler(String modelType) implements Scheduler {

    /** The published 10-step lists (11 levels each), from sigma_max to sigma_min. */
    static final double[] SD1 = {14.6146412293, 6.4745760956, 3.8636745985, 2.6946151520, 1.8841921177,
        1.3943805092, 0.9642583904, 0.6523686016, 0.3977456272, 0.1515232662, 0.0291671582};
    static final double[] SDXL = {14.6146412293, 6.3184485287, 3.7681790315, 2.1811480769, 1.3405244945,
        0.8620721141, 0.5550693289, 0.3798540708, 0.2332364134, 0.1114188177, 0.0291671582};
    static final double[] SVD = {700.00, 54.5, 15.886, 7.977, 4.248, 1.789, 0.981, 0.403, 0.173, 0.034, 0.002};

    private static final List<String> TYPES = List.of("sd1", "sdxl", "svd");

    public static final SchedulerInfo INFO = new SchedulerInfo("ays",
            "Align Your Steps: published optimised levels, log-linearly resampled to the step count",
            "Sabour et al. 2024, Align Your Steps; ComfyUI AlignYourStepsScheduler",
            List.of(Parameter.choice("model_type", TYPES, "which published list: sd1, sdxl or svd")),
            o -> new AlignYourStepsScheduler(o.choice("model_type")));

    public AlignYourStepsScheduler {
        if (!TYPES.contains(modelType)) {
            throw new IllegalArgumentException("scheduler ays: model_type = '" + modelType + "' is not allowed; allowed: "
                    + String.join("|", TYPES));
        }
    }

    /** The published 10-step list for the model type. */
    public double[] published() {
        return switch (modelType) {
            case "sdxl" -> SDXL.clone();
            case "svd" -> SVD.clone();
            default -> SD1.clone();
        };
    }

    @Override
    public double[] sigmas(ModelSampling sampling, int steps) {
        Sigmas.requireSteps(steps);
        double[] levels = published();
        if (levels.length != steps + 1) {
            levels = Sigmas.loglinearInterp(levels, steps + 1);
        }
        return Sigmas.endingInZero(levels);
    }
}
