package io.github.vit4j.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The format of {@code trace.csv}: a header, then one line per {@link TraceRow}:
 * {@code image,label,p_clean,p_corrupt,kind,layer,window,p_patched,ie,method}. Numbers are written with
 * {@link Double#toString}, so equal runs give byte-identical files.
 */
final class TraceCsv {

    /** The header line. */
    static final String HEADER = "image,label,p_clean,p_corrupt,kind,layer,window,p_patched,ie,method";

    private TraceCsv() {
    }

    /** Every row of a complete {@code trace.csv}; see {@link TraceRow#read}. */
    static List<TraceRow> read(Path csv) throws IOException {
        List<TraceRow> rows = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            String header = r.readLine();
            if (!HEADER.equals(header)) {
                throw new IOException(csv + " is not a trace.csv: its first line is '" + header + "', expected '"
                        + HEADER + "'");
            }
            String line;
            for (int number = 2; (line = r.readLine()) != null; number++) {
                try {
                    rows.add(parse(line));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(csv + " line " + number + ": " + e.getMessage(), e);
                }
            }
        }
        return rows;
    }

    /** The CSV line of {@code row}, without a newline. */
    static String format(TraceRow row) {
        return row.image() + "," + row.label() + "," + row.pClean() + "," + row.pCorrupt() + "," + row.kind().label()
                + "," + row.layer() + "," + row.window() + "," + row.pPatched() + "," + row.ie() + ","
                + row.method().label();
    }

    /**
     * Parses a line written by {@link #format}.
     *
     * @throws IllegalArgumentException for a malformed line (e.g. one cut short by a killed run)
     */
    static TraceRow parse(String line) {
        String[] f = line.split(",", -1);
        if (f.length != 10) {
            throw new IllegalArgumentException("trace.csv line has " + f.length + " fields, expected 10: '" + line
                    + "'");
        }
        try {
            return new TraceRow(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Double.parseDouble(f[2]),
                    Double.parseDouble(f[3]), SweepKind.parse(f[4]), Integer.parseInt(f[5]), Integer.parseInt(f[6]),
                    Double.parseDouble(f[7]), Double.parseDouble(f[8]), TraceMethod.parse(f[9]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("trace.csv line has a malformed number: '" + line + "'", e);
        }
    }
}
