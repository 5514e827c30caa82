package io.github.vit4j.trace;

import io.github.vit4j.format.AtomicFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * One cell of a dataset trace: one image, one kind of site, one layer. A trace's rows go image by image, and within
 * an image kind by kind and layer by layer; {@code trace.csv} holds one line per row.
 *
 * @param image    the image's index in its source
 * @param label    the class tracked ({@link DatasetTrace.Target})
 * @param pClean   p(label) of the clean run
 * @param pCorrupt p(label) of the corrupted run
 * @param kind     the kind of site restored
 * @param layer    the layer at the centre of the restored window
 * @param window   the window's width ({@link Window})
 * @param pPatched p(label) of the patched run; for an estimate ({@link TraceMethod#estimated()}) p_corrupt plus the
 *                 estimated change, NaN for the logit-diff metric
 * @param ie       the effect, in the trace's {@link Metric}
 * @param method   how the cell was obtained: patched runs, or an attribution-patching estimate
 */
public record TraceRow(int image, int label, double pClean, double pCorrupt, SweepKind kind, int layer, int window,
                       double pPatched, double ie, TraceMethod method) {

    /**
     * Every row of a {@code trace.csv}, as {@link DatasetTrace#run} writes it.
     *
     * @throws IOException              if the file cannot be read or is not a trace.csv (its first line is not the
     *                                  header {@code image,label,p_clean,p_corrupt,kind,layer,window,p_patched,ie,method})
     * @throws IllegalArgumentException naming the line, for a malformed row
     */
    public static List<TraceRow> read(Path csv) throws IOException {
        return TraceCsv.read(csv);
    }

    /**
     * Writes {@code rows} as a {@code trace.csv} (e.g. an in-memory trace's, for {@link #read} or the reports that
     * read the file). The file has no record of the trace's settings beside it, so a {@link DatasetTrace#run} into
     * its folder refuses to resume it.
     */
    public static void write(Path csv, List<TraceRow> rows) throws IOException {
        StringBuilder text = new StringBuilder(TraceCsv.HEADER).append('\n');
        for (TraceRow row : rows) {
            text.append(TraceCsv.format(row)).append('\n');
        }
        AtomicFile.writeString(csv, text.toString());
    }
}
