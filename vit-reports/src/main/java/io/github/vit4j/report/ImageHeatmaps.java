package io.github.vit4j.report;

import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One heatmap per traced image, read back from {@code trace.csv}: {@code image_0007.png} and {@code .svg} (kinds ×
 * layers of that image's effects, titled with its tracked class and its clean and corrupted probabilities).
 */
public final class ImageHeatmaps {

    private ImageHeatmaps() {
    }

    /**
     * Writes {@code dir/image_NNNN.png} and {@code .svg} for every image of {@code csv}.
     *
     * @param classNames the model's class names by index, for titles
     * @param layers     the model's number of layers
     * @return the PNG files written, in image order (each with its SVG beside it)
     */
    public static List<Path> write(Path csv, Path dir, TraceInfo info, List<String> classNames, int layers)
            throws IOException {
        Map<Integer, List<TraceRow>> byImage = new LinkedHashMap<>();
        for (TraceRow row : TraceRow.read(csv)) {
            byImage.computeIfAbsent(row.image(), i -> new ArrayList<>()).add(row);
        }
        Files.createDirectories(dir);
        int digits = Math.max(4, Integer.toString(byImage.keySet().stream().mapToInt(i -> i).max().orElse(0))
                .length());
        List<Path> written = new ArrayList<>();
        for (Map.Entry<Integer, List<TraceRow>> e : byImage.entrySet()) {
            List<TraceRow> rows = e.getValue();
            List<SweepKind> kinds = rows.stream().map(TraceRow::kind).distinct().toList();
            double[][] effect = new double[kinds.size()][layers];
            for (double[] k : effect) {
                java.util.Arrays.fill(k, Double.NaN);
            }
            for (TraceRow row : rows) {
                effect[kinds.indexOf(row.kind())][row.layer()] = row.ie();
            }
            TraceRow first = rows.get(0);
            String className = first.label() >= 0 && first.label() < classNames.size()
                    ? classNames.get(first.label()) : "class " + first.label();
            Figure f = Heatmaps.image(info, e.getKey(), className, first.pClean(), first.pCorrupt(), kinds, effect);
            String name = String.format(Locale.ROOT, "image_%0" + digits + "d", e.getKey());
            f.write(dir, name);
            written.add(dir.resolve(name + ".png"));
        }
        return written;
    }
}
