package io.github.vit4j.spark;

import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceMethod;
import io.github.vit4j.trace.TraceRow;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The rows of a Spark trace: {@code trace.csv}'s columns
 * ({@code image,label,p_clean,p_corrupt,kind,layer,window,p_patched,ie,method}, the fields of {@link TraceRow}) and
 * the image's {@code id} (its name in the dataset, e.g. {@code test_batch.bin#17}). Doubles are stored as they are,
 * so a row read back is the {@link TraceRow} computed, bit for bit.
 */
public final class TraceTable {

    /** The schema of a trace's rows, in {@code trace.csv}'s order, then {@code id}. */
    public static final StructType SCHEMA = new StructType()
            .add("image", DataTypes.IntegerType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("p_clean", DataTypes.DoubleType, false)
            .add("p_corrupt", DataTypes.DoubleType, false)
            .add("kind", DataTypes.StringType, false)
            .add("layer", DataTypes.IntegerType, false)
            .add("window", DataTypes.IntegerType, false)
            .add("p_patched", DataTypes.DoubleType, false)
            .add("ie", DataTypes.DoubleType, false)
            .add("method", DataTypes.StringType, false)
            .add("id", DataTypes.StringType, false);

    private TraceTable() {
    }

    /** The table row of {@code row}, for the image named {@code id}. */
    static Row row(TraceRow row, String id) {
        return RowFactory.create(row.image(), row.label(), row.pClean(), row.pCorrupt(), row.kind().label(),
                row.layer(), row.window(), row.pPatched(), row.ie(), row.method().label(), id);
    }

    /**
     * Every row of a trace's table, collected to the driver, in {@code trace.csv}'s order: by image, then kind (in
     * trace order), then layer.
     */
    public static List<TraceRow> traceRows(Dataset<Row> table, List<SweepKind> kinds) {
        return table.collectAsList().stream().map(TraceTable::traceRow)
                .sorted(Comparator.comparingInt(TraceRow::image).thenComparingInt(r -> kinds.indexOf(r.kind()))
                        .thenComparingInt(TraceRow::layer))
                .toList();
    }

    /** The {@link TraceRow} of a table row (its {@code id} left out). */
    static TraceRow traceRow(Row r) {
        return new TraceRow(r.getInt(0), r.getInt(1), r.getDouble(2), r.getDouble(3), SweepKind.parse(r.getString(4)),
                r.getInt(5), r.getInt(6), r.getDouble(7), r.getDouble(8), TraceMethod.parse(r.getString(9)));
    }
}
