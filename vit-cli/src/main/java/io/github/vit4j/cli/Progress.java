package io.github.vit4j.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of a long loop on stderr: a live bar with rate and ETA (me.tongfei progressbar) when stderr is a
 * terminal, otherwise a plain line at every 10% or 30 seconds, whichever comes first, so that logs stay readable.
 * Images found done from an earlier run count as done but not towards the rate.
 */
final class Progress implements AutoCloseable {

    private static final long LINE_EVERY_NANOS = 30_000_000_000L;

    private final String task;
    private final int total;
    private final PrintWriter err;
    private final boolean terminal;
    private final String unit;
    private ProgressBar bar;
    private long start;
    private int first = -1;
    private int last = -1;
    private long lastLine;

    private Progress(String task, int total, String unit, PrintWriter err, boolean terminal) {
        this.task = task;
        this.unit = unit;
        this.total = total;
        this.err = err;
        this.terminal = terminal;
    }

    /** A progress display for {@code total} units, a bar if the JVM has a terminal. */
    static Progress start(String task, int total, PrintWriter err) {
        return start(task, total, " img", err);
    }

    /** A progress display for {@code total} units named {@code unit} (e.g. {@code " map"}) on the bar. */
    static Progress start(String task, int total, String unit, PrintWriter err) {
        return new Progress(task, total, unit, err, System.console() != null);
    }

    /** {@code done} units are complete (the first call gives the units already done before this run). */
    void update(int done) {
        long now = System.nanoTime();
        if (first < 0) {
            first = done;
            start = now;
            lastLine = now;
            if (terminal) {
                bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(unit, 1)
                        .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK).showSpeed()
                        .setUpdateIntervalMillis(250).startsFrom(done, Duration.ZERO)
                        .setConsumer(new ConsoleProgressBarConsumer(Vit4jCli.STDERR)).build();
            } else if (done > 0) {
                err.printf(Locale.ROOT, "%s: %d/%d done before, resuming%n", task, done, total);
                err.flush();
            }
        }
        if (bar != null) {
            bar.stepTo(done);
        } else if (done > last && (done == total || now - lastLine >= LINE_EVERY_NANOS
                || tenths(done) > tenths(Math.max(last, first)))) {
            err.println(line(done, now));
            err.flush();
            lastLine = now;
        }
        last = done;
    }

    private int tenths(int done) {
        return total == 0 ? 10 : (int) (10L * done / total);
    }

    private String line(int done, long now) {
        double elapsed = (now - start) / 1e9;
        int fresh = done - first;
        String eta = fresh > 0 && done < total ? ", ETA " + clock((total - done) * elapsed / fresh) : "";
        return String.format(Locale.ROOT, "%s: %d/%d (%d%%), %s elapsed%s", task, done, total,
                total == 0 ? 100 : 100L * done / total, clock(elapsed), eta);
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /** Ends the display; closing it again does nothing. */
    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
