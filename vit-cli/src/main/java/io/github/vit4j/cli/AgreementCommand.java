package io.github.vit4j.cli;

import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.report.TraceAgreement;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceRow;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vit agreement}: how well an estimated trace (attribution patching) agrees with the exact one. */
@Command(name = "agreement", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compares two traces of the same images, kinds, layers and window, cell by cell: the exact "
                + "one (vit trace --method exact) and an estimate (--method atp or atp-ig). Prints and writes to "
                + "--out agreement.md (per kind: cells and Pearson r; the top-k agreement per image: of the k cells "
                + "the estimate ranks highest, the share among the exact top k) and scatter_<kind>.png "
                + "(estimate against exact, one point per image and layer; PNG only: thousands of points make a "
                + "vector file of megabytes)."},
        footer = {"", "Example:", "  vit trace --window 1 --out exact && \\",
            "      vit trace --window 1 --method atp --out atp && \\",
            "      vit agreement exact atp --out agreement"})
final class AgreementCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "EXACT", description = "Folder of the exact trace (its trace.csv).")
    Path exact;

    @Parameters(index = "1", paramLabel = "ESTIMATE", description = "Folder of the estimated trace (its trace.csv).")
    Path estimate;

    @Option(names = "--top", paramLabel = "K", split = ",", defaultValue = "1,3,5",
            description = "The k of the top-k agreement (default: ${DEFAULT-VALUE}).")
    int[] top;

    @Option(names = "--kinds", paramLabel = "K", split = ",", defaultValue = "resid,attn,mlp",
            description = {"The kinds compared (default: ${DEFAULT-VALUE}). With every token restored, the exact resid "
                    + "cells of an image are all p_clean − p_corrupt: leaving resid out keeps those ties out of the "
                    + "top-k agreement."})
    List<String> kinds;

    @Option(names = "--title", paramLabel = "TEXT", defaultValue = "Attribution patching against the exact trace",
            description = "Title of the scatter plots (default: ${DEFAULT-VALUE}).")
    String title;

    @Option(names = "--metric", paramLabel = "NAME", defaultValue = "IE",
            description = "The effect's name on the plots' axes (default: ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "agreement-out",
            description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws IOException {
        List<SweepKind> chosen = kinds.stream().map(SweepKind::parse).toList();
        TraceAgreement agreement = TraceAgreement.of(rowsOf(exact, chosen), rowsOf(estimate, chosen));
        String table = agreement.markdown(top);
        Files.createDirectories(out);
        AtomicFile.writeString(out.resolve("agreement.md"), "Exact: " + exact.toAbsolutePath().normalize()
                + "  \nEstimate: " + estimate.toAbsolutePath().normalize() + "  \n"
                + TerminalText.count(agreement.images(), "image") + ", "
                + TerminalText.count(agreement.layers(), "layer") + "\n\n" + table);
        for (SweepKind kind : agreement.kinds()) {
            agreement.scatter(kind, title, metric).writePng(out.resolve("scatter_" + kind.label() + ".png"));
        }
        PrintWriter o = spec.commandLine().getOut();
        o.print(table);
        o.println("wrote agreement.md and scatter_<kind>.png to " + out);
        o.flush();
        return 0;
    }

    private static List<TraceRow> rowsOf(Path dir, List<SweepKind> kinds) throws IOException {
        return TraceRow.read(traceCsv(dir)).stream().filter(r -> kinds.contains(r.kind())).toList();
    }

    private static Path traceCsv(Path dir) {
        Path csv = Files.isDirectory(dir) ? dir.resolve("trace.csv") : dir;
        if (!Files.isRegularFile(csv)) {
            throw new IllegalArgumentException("no trace.csv in " + dir + "; give the --out folder of a vit trace run");
        }
        return csv;
    }
}
