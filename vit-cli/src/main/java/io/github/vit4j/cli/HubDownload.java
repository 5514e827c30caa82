package io.github.vit4j.cli;

import io.github.vit4j.hub.Hub;
import io.github.vit4j.hub.HubModel;
import io.github.vit4j.hub.HubSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A model location as the commands take it: a path, or {@code hf:org/name[@revision]}, downloaded into the Hugging
 * Face cache with the settings of the environment ({@code HF_HOME}, {@code HF_TOKEN}, {@code HF_HUB_OFFLINE}, …)
 * and shown as it downloads: a bar with size and rate on a terminal, a line per file otherwise. The file names come
 * from the server (a sharded model's index names its shards) and are shown {@linkplain TerminalText#escape escaped}.
 */
final class HubDownload implements Consumer<Hub.Progress>, AutoCloseable {

    private final PrintWriter err;
    private final boolean terminal;
    private ProgressBar bar;
    private String file;
    private long start;
    private long first;
    private Hub.Progress last;

    private HubDownload(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** A display of plain lines, as off a terminal. */
    static HubDownload lines(PrintWriter err) {
        return new HubDownload(err, false);
    }

    /**
     * The local path of {@code location}: itself, or the snapshot folder of a Hub spec once downloaded with the Hub
     * settings of {@code environment} (the process's, or one a caller states).
     */
    static Path resolve(String location, Map<String, String> environment, PrintWriter err) throws IOException {
        if (!HubModel.isSpec(location)) {
            return Path.of(location);
        }
        HubModel model = HubModel.parse(location);
        HubSettings settings = HubSettings.fromEnvironment(environment,
                Path.of(System.getProperty("user.home")));
        try (HubDownload progress = new HubDownload(err, System.console() != null)) {
            Path folder = Hub.of(settings).download(model, progress);
            err.println(model + ": " + TerminalText.escape(folder.toString()));
            err.flush();
            return folder;
        }
    }

    @Override
    public void accept(Hub.Progress p) {
        if (!p.file().equals(file)) {
            close();
            file = p.file();
            start = System.nanoTime();
            first = p.done();
            if (terminal) {
                bar = new ProgressBarBuilder().setTaskName(TerminalText.escape(p.file()))
                        .setInitialMax(Math.max(p.total(), 0))
                        .setUnit(" MB", 1 << 20).showSpeed().setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                        .setUpdateIntervalMillis(250).startsFrom(p.done(), java.time.Duration.ZERO)
                        .setConsumer(new ConsoleProgressBarConsumer(Vit4jCli.STDERR)).build();
            } else {
                err.printf(Locale.ROOT, "downloading %s (%s%s)%n", TerminalText.escape(p.file()), size(p.total()),
                        p.done() > 0 ? ", resuming at " + size(p.done()) : "");
                err.flush();
            }
        }
        if (bar != null) {
            bar.stepTo(p.done());
        }
        last = p;
    }

    /** Ends the current file's display with its size and rate. */
    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        } else if (last != null) {
            double seconds = Math.max((System.nanoTime() - start) / 1e9, 1e-3);
            err.printf(Locale.ROOT, "  %s: %s in %.1f s (%s/s)%n", TerminalText.escape(last.file()), size(last.done()),
                    seconds,
                    size((long) ((last.done() - first) / seconds)));
            err.flush();
        }
        last = null;
    }

    private static String size(long bytes) {
        if (bytes < 0) {
            return "size unknown";
        }
        return bytes < 1 << 20 ? String.format(Locale.ROOT, "%.1f kB", bytes / 1024.0)
                : String.format(Locale.ROOT, "%.1f MB", bytes / (double) (1 << 20));
    }
}
