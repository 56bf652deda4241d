package dev.stepwise.cli;

import dev.stepwise.core.sampling.StepListener;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr, fed by the sampler's step callbacks. It appears only for runs that last longer
 * than about a second and only when stderr is a terminal: the launcher tells (system property
 * {@code stepwise.stderr.tty}, from {@code [ -t 2 ]}), since Java 21 cannot ask about stderr alone.
 */
class Progress implements StepListener, AutoCloseable {
    private static final long DELAY_NANOS = 1_000_000_000L;

    private final long start = System.nanoTime();
    private final String task;
    private ProgressBar bar;

    private Progress(String task) {
        this.task = task;
    }

    /** A progress display, or one that shows nothing when disabled or when stderr is not a terminal. */
    static Progress create(boolean wanted) {
        return create(wanted, "sampling");
    }

    /** As {@link #create(boolean)}, with the bar labelled {@code task} (e.g. "4 images"). */
    static Progress create(boolean wanted, String task) {
        return wanted && Boolean.getBoolean("stepwise.stderr.tty") ? new Progress(task) : new Silent();
    }

    @Override
    public void onStep(int step, int steps, double sigma, float[] x, float[] denoised) {
        if (bar == null) {
            if (System.nanoTime() - start < DELAY_NANOS || step + 1 >= steps) {
                return;
            }
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(steps)
                    .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err))
                    .setUpdateIntervalMillis(200).setUnit(" steps", 1).clearDisplayOnFinish().build();
        }
        bar.stepTo(step + 1);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    /** Shows nothing. */
    private static final class Silent extends Progress {
        Silent() {
            super("");
        }

        @Override
        public void onStep(int step, int steps, double sigma, float[] x, float[] denoised) {
        }
    }
}
