package io.github.vit4j.trace;


/**
 * The rows of {@code trace.csv}, one per (image, kind, layer):
 * {@code image,label,p_clean,p_corrupt,kind,layer,window,p_patched,ie}. {@code image} is the index in the input,
 * {@code label} the class tracked, the p columns its probability, {@code ie} the chosen metric. Numbers are written
 * with {@link Double#toString}, so equal runs give byte-identical files.
 */
public final class TraceCsv {

    /** The header line. */
    public static final String HEADER = "image,label,p_clean,p_corrupt,kind,layer,window,p_patched,ie";

    private TraceCsv() {
    }

    /** One row. */
    public record Row(int image, int label, double pClean, double pCorrupt, SweepKind kind, int layer, int window,
                      double pPatched, double ie) {

        /** The CSV line, without a newline. */
        public String format() {
            return image + "," + label + "," + pClean + "," + pCorrupt + "," + kind.label() + "," + layer + ","
                    + window + "," + pPatched + "," + ie;
        }

        /**
         * Parses a line written by {@link #format}.
         *
         * @throws IllegalArgumentException for a malformed line (e.g. one cut short by a killed run)
         */
        public static Row parse(String line) {
            String[] f = line.split(",", -1);
            if (f.length != 9) {
                throw new IllegalArgumentException("trace.csv line has " + f.length + " fields, expected 9: '"
                        + line + "'");
            }
            try {
                return new Row(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Double.parseDouble(f[2]),
                        Double.parseDouble(f[3]), SweepKind.of(f[4]), Integer.parseInt(f[5]),
                        Integer.parseInt(f[6]), Double.parseDouble(f[7]), Double.parseDouble(f[8]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("trace.csv line has a malformed number: '" + line + "'", e);
            }
        }
    }
}
