package dev.stepwise.onnx.sd;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stepwise.core.model.BetaSchedule;
import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.FlowSampling;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.model.Prediction;
import java.nio.file.Path;

/**
 * A diffusers {@code scheduler/scheduler_config.json}: the training noise schedule the model was trained with.
 * Only the training facts are used (betas, prediction type, zero-terminal SNR, flow shift); the inference
 * settings ({@code timestep_spacing}, {@code steps_offset}) are kept for the record, since the sampler and
 * scheduler of the run decide the steps.
 */
public record SchedulerConfig(String className, Prediction prediction, BetaSchedule betaSchedule, double betaStart,
                              double betaEnd, int trainTimesteps, boolean zeroTerminalSnr, double shift,
                              String timestepSpacing, int stepsOffset) {

    /** Reads the file; every problem is one line naming the file and the field. */
    static SchedulerConfig read(Path file) {
        JsonNode root = Json.read(file, "the scheduler's training settings (prediction_type, beta_schedule, ...)");
        try {
            return parse(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    static SchedulerConfig parse(JsonNode root) {
        String cls = root.path("_class_name").asText("");
        int timesteps = root.path("num_train_timesteps").asInt(1000);
        if (timesteps < 2) {
            throw new IllegalArgumentException("num_train_timesteps " + timesteps + ", expected at least 2");
        }
        String spacing = root.path("timestep_spacing").asText("leading");
        int offset = root.path("steps_offset").asInt(0);
        if (cls.startsWith("FlowMatch")) {
            double shift = root.path("shift").asDouble(1.0);
            if (!(shift > 0) || Double.isInfinite(shift)) {
                throw new IllegalArgumentException("shift " + shift + ", expected a finite number > 0");
            }
            return new SchedulerConfig(cls, Prediction.FLOW, null, 0, 0, timesteps, false, shift, spacing, offset);
        }
        String type = root.path("prediction_type").asText("epsilon");
        Prediction p = switch (type) {
            case "epsilon" -> Prediction.EPS;
            case "v_prediction" -> Prediction.V;
            case "sample" -> Prediction.X0;
            default -> throw new IllegalArgumentException("prediction_type '" + type
                    + "', expected epsilon, v_prediction or sample");
        };
        if (root.hasNonNull("trained_betas")) {
            throw new IllegalArgumentException("trained_betas are given; expected a beta_schedule (explicit betas"
                    + " are not supported)");
        }
        String schedule = root.path("beta_schedule").asText("linear");
        BetaSchedule betas = switch (schedule) {
            case "scaled_linear" -> BetaSchedule.SCALED_LINEAR;
            case "linear" -> BetaSchedule.LINEAR;
            case "squaredcos_cap_v2" -> BetaSchedule.COSINE;
            default -> throw new IllegalArgumentException("beta_schedule '" + schedule
                    + "', expected scaled_linear, linear or squaredcos_cap_v2");
        };
        double start = root.path("beta_start").asDouble(0.0001), end = root.path("beta_end").asDouble(0.02);
        if (!(start > 0 && end > start && end < 1)) {
            throw new IllegalArgumentException("beta_start " + start + " and beta_end " + end
                    + ", expected 0 < beta_start < beta_end < 1");
        }
        boolean zsnr = root.path("rescale_betas_zero_snr").asBoolean(false);
        return new SchedulerConfig(cls, p, betas, start, end, timesteps, zsnr, 0, spacing, offset);
    }

    /** The model's parameterisation: discrete VP over the training betas, or SD3's shifted flow. */
    public ModelSampling sampling() {
        if (prediction == Prediction.FLOW) {
            return new FlowSampling(FlowSampling.Shift.SD3, shift, trainTimesteps, trainTimesteps);
        }
        return new DiscreteVpSampling(prediction, betaSchedule, betaStart, betaEnd, trainTimesteps, zeroTerminalSnr);
    }
}
