package dev.stepwise.core.schedule;

import dev.stepwise.core.model.ModelSampling;
import java.util.Arrays;

/** Building and checking the sigma list of a run the way the reference UIs do. */
public final class Sigmas {
    private Sigmas() {
    }

    /**
     * The sigmas of a run: the scheduler's list ({@code steps + 1} values but for the exceptions noted on
     * {@link Scheduler}). With denoise < 1 (img2img), the last steps + 1 values of a schedule of
     * int(steps / denoise) steps, as ComfyUI's KSampler does; with
     * {@code discardPenultimate}, one step more is scheduled and the second-to-last sigma dropped (ComfyUI's
     * convention for dpm_2, dpm_2_ancestral, uni_pc and uni_pc_bh2), except for a {@link ListScheduler}: a fixed
     * list is walked as given, as ComfyUI walks a SIGMAS input.
     */
    public static double[] forRun(Scheduler scheduler, ModelSampling sampling, int steps, double denoise,
                                  boolean discardPenultimate) {
        requireSteps(steps);
        boolean discard = discardPenultimate && !(scheduler instanceof ListScheduler);
        if (!(denoise > 0 && denoise <= 1)) {
            throw new IllegalArgumentException("denoise " + denoise + " must be in (0, 1]");
        }
        boolean full = denoise > 0.9999;
        int total = full ? steps : (int) (steps / denoise);
        double[] all = scheduled(scheduler, sampling, total, discard);
        // At full denoise the whole list runs, even where ddim_uniform gives a step more, as in ComfyUI.
        double[] out = !full && all.length > steps + 1 ? Arrays.copyOfRange(all, all.length - (steps + 1), all.length) : all;
        check(out);
        return out;
    }

    /**
     * As {@link #forRun}, with A1111's img2img rule for denoise below 1 (sd_samplers_common.py setup_img2img_steps,
     * opts.img2img_fix_steps off): a schedule of {@code steps} steps, of which the last
     * t_enc + 1 = int(min(denoise, 0.999) * steps) + 1 steps run (sd_samplers_kdiffusion.py sample_img2img,
     * {@code sigmas[steps - t_enc - 1:]}); at denoise 1 the whole schedule, as in text-to-image.
     */
    public static double[] forRunA1111(Scheduler scheduler, ModelSampling sampling, int steps, double denoise,
                                       boolean discardPenultimate) {
        requireSteps(steps);
        if (!(denoise > 0 && denoise <= 1)) {
            throw new IllegalArgumentException("denoise " + denoise + " must be in (0, 1]");
        }
        boolean discard = discardPenultimate && !(scheduler instanceof ListScheduler);
        double[] all = scheduled(scheduler, sampling, steps, discard);
        if (denoise > 0.9999) {
            check(all);
            return all;
        }
        int tEnc = (int) (Math.min(denoise, 0.999) * steps);
        int from = Math.max(0, all.length - 1 - tEnc - 1);
        double[] out = Arrays.copyOfRange(all, from, all.length);
        check(out);
        return out;
    }

    /** Rejects a step count below 1 with one line naming the value. */
    public static void requireSteps(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps " + steps + " must be at least 1");
        }
    }

    /** The list with its last value replaced by 0 (the published AYS/GITS lists end at sigma_min). */
    static double[] endingInZero(double[] levels) {
        double[] out = levels.clone();
        out[out.length - 1] = 0;
        return out;
    }

    /**
     * ComfyUI's {@code loglinear_interp}: a decreasing list resampled to {@code count} points by linear
     * interpolation of log sigma over evenly spaced positions in [0, 1], done on the ascending (reversed)
     * list as ComfyUI does with numpy's {@code interp}.
     */
    static double[] loglinearInterp(double[] decreasing, int count) {
        int m = decreasing.length;
        double[] xs = linspace(0, 1, m), ys = new double[m];
        for (int i = 0; i < m; i++) {
            ys[i] = Math.log(decreasing[m - 1 - i]);
        }
        double[] newXs = linspace(0, 1, count), out = new double[count];
        int j = 0;
        for (int i = 0; i < count; i++) {
            double x = newXs[i];
            while (j < m - 2 && x >= xs[j + 1]) {
                j++;
            }
            double slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j]);
            double y = x >= xs[m - 1] ? ys[m - 1] : slope * (x - xs[j]) + ys[j];
            out[count - 1 - i] = Math.exp(y);
        }
        return out;
    }

    /** numpy's linspace(start, stop, n): start + i * step with the last point exactly stop. */
    static double[] linspace(double start, double stop, int n) {
        double[] v = new double[n];
        double step = n > 1 ? (stop - start) / (n - 1) : 0;
        for (int i = 0; i < n; i++) {
            v[i] = start + i * step;
        }
        if (n > 1) {
            v[n - 1] = stop;
        }
        return v;
    }

    private static double[] scheduled(Scheduler scheduler, ModelSampling sampling, int steps, boolean discardPenultimate) {
        if (!discardPenultimate) {
            return scheduler.sigmas(sampling, steps);
        }
        double[] s = scheduler.sigmas(sampling, steps + 1);
        double[] out = Arrays.copyOf(s, s.length - 1);
        out[out.length - 1] = s[s.length - 1];
        return out;
    }

    /** Parses a user's list ("14.6, 7.2 3.1,0"): numbers separated by commas and/or whitespace. */
    public static double[] parse(String text) {
        String[] parts = text.trim().split("[,\\s]+");
        if (parts.length == 1 && parts[0].isEmpty()) {
            throw new IllegalArgumentException("the sigma list is empty; give at least two numbers, e.g. 14.6,0");
        }
        double[] s = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                s[i] = Double.parseDouble(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("sigma '" + parts[i] + "' is not a number");
            }
        }
        check(s);
        return s;
    }

    /** A usable sigma list: at least two finite values >= 0, strictly decreasing. */
    public static void check(double[] s) {
        if (s.length < 2) {
            throw new IllegalArgumentException("a sigma list needs at least 2 values (one step), got " + s.length);
        }
        for (int i = 0; i < s.length; i++) {
            if (!(s[i] >= 0) || Double.isInfinite(s[i])) {
                throw new IllegalArgumentException("sigma " + s[i] + " at position " + i + " must be finite and >= 0");
            }
            if (i > 0 && !(s[i] < s[i - 1])) {
                throw new IllegalArgumentException("sigmas must decrease strictly, but sigma[" + i + "] = " + s[i]
                        + " follows " + s[i - 1]);
            }
        }
    }
}
