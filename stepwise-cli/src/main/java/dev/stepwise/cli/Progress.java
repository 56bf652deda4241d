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
        return shown(wanted) ? new Progress(task) : new Silent();
    }

    /** Whether a wanted progress display may be shown: only when stderr is a terminal. */
    static boolean shown(boolean wanted) {
        return wanted && Boolean.getBoolean("stepwise.stderr.tty");
    }

    /** An ASCII bar on stderr counting {@code max} units, cleared when closed. */
    static ProgressBar bar(String task, long max, String unit) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(System.err))
                .setUpdateIntervalMillis(200).setUnit(unit, 1).clearDisplayOnFinish().build();
    }

    /**
     * Bars for a long job in phases (an error curve's levels, a GITS teacher and then its costs), on a terminal only:
     * each phase's callback replaces the previous phase's bar with its own.
     */
    static final class Phases implements AutoCloseable {
        /** A phase's progress: {@code done} of {@code total} units. */
        @FunctionalInterface
        interface Counter {
            void at(int done, int total);
        }

        private final boolean wanted;
        private ProgressBar bar;

        Phases(boolean wanted) {
            this.wanted = shown(wanted);
        }

        Counter phase(String task, String unit) {
            if (!wanted) {
                return (done, total) -> { };
            }
            return (done, total) -> {
                if (bar == null || !bar.getTaskName().equals(task)) {
                    close();
                    bar = bar(task, total, unit);
                }
                bar.stepTo(done);
            };
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }

    @Override
    public void onStep(int step, int steps, double sigma, float[] x, float[] denoised) {
        if (bar == null) {
            if (System.nanoTime() - start < DELAY_NANOS || step + 1 >= steps) {
                return;
            }
            bar = bar(task, steps, " steps");
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
