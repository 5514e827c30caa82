package io.github.vit4j.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The rows of {@code trace.csv}, one per (image, kind, layer):
 * {@code image,label,p_clean,p_corrupt,kind,layer,window,p_patched,ie,method}. {@code image} is the index in the
 * input, {@code label} the class tracked, the p columns its probability, {@code ie} the chosen metric, {@code method}
 * how the cell was obtained ({@link TraceMethod}: {@code exact} patched runs, or an {@code atp} estimate, whose
 * {@code p_patched} is p_corrupt plus the estimated change, NaN for the logit-diff metric). Numbers are written with
 * {@link Double#toString}, so equal runs give byte-identical files.
 */
public final class TraceCsv {

    /** The header line. */
    public static final String HEADER = "image,label,p_clean,p_corrupt,kind,layer,window,p_patched,ie,method";

    private TraceCsv() {
    }

    /**
     * Every row of a complete {@code trace.csv}.
     *
     * @throws IOException if the file cannot be read or its first line is not {@link #HEADER}
     * @throws IllegalArgumentException for a malformed row
     */
    public static List<Row> read(Path csv) throws IOException {
        List<Row> rows = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            String header = r.readLine();
            if (!HEADER.equals(header)) {
                throw new IOException(csv + " is not a trace.csv: its first line is '" + header + "', expected '"
                        + HEADER + "'");
            }
            String line;
            while ((line = r.readLine()) != null) {
                rows.add(Row.parse(line));
            }
        }
        return rows;
    }

    /** One row. */
    public record Row(int image, int label, double pClean, double pCorrupt, SweepKind kind, int layer, int window,
                      double pPatched, double ie, TraceMethod method) {

        /** The CSV line, without a newline. */
        public String format() {
            return image + "," + label + "," + pClean + "," + pCorrupt + "," + kind.label() + "," + layer + ","
                    + window + "," + pPatched + "," + ie + "," + method.label();
        }

        /**
         * Parses a line written by {@link #format}.
         *
         * @throws IllegalArgumentException for a malformed line (e.g. one cut short by a killed run)
         */
        public static Row parse(String line) {
            String[] f = line.split(",", -1);
            if (f.length != 10) {
                throw new IllegalArgumentException("trace.csv line has " + f.length + " fields, expected 10: '"
                        + line + "'");
            }
            try {
                return new Row(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Double.parseDouble(f[2]),
                        Double.parseDouble(f[3]), SweepKind.of(f[4]), Integer.parseInt(f[5]),
                        Integer.parseInt(f[6]), Double.parseDouble(f[7]), Double.parseDouble(f[8]),
                        TraceMethod.of(f[9]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("trace.csv line has a malformed number: '" + line + "'", e);
            }
        }
    }
}
