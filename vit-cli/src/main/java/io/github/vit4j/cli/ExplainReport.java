package io.github.vit4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code report.html} of {@code vit explain}: one self-contained file (images as data URIs, the data as inline JSON,
 * the page's own script inline; nothing fetched at view time). Per image: the original and every method's figure
 * with the predicted classes; the logit lens as a layers × classes chart; a layers × heads grid of attention maps
 * for a query patch chosen on the image (the full patterns of every query token travel in the file, one byte per
 * weight, scaled to each query row's largest); the folder's trace heatmap when it holds one. The page itself is
 * {@code explain-report.js} and {@code .css} beside this class.
 */
final class ExplainReport {

    private final String model;
    private final VitConfig config;
    private final List<ExplainMethod> methods;
    private final List<Image> images = new ArrayList<>();

    ExplainReport(String model, VitConfig config, List<ExplainMethod> methods) {
        this.model = model;
        this.config = config;
        this.methods = methods;
    }

    /** One image's part of the report, filled as its methods run. */
    final class Image {
        private final Map<String, Object> json = new LinkedHashMap<>();
        private final List<Map<String, Object>> figures = new ArrayList<>();
        private final int y;

        private Image(int index, String name, int y, List<Predictions.Prediction> top, Path png) {
            this.y = y;
            json.put("index", index);
            json.put("name", name);
            json.put("label", config.labels().get(y));
            json.put("predicted", top.stream().map(p -> Map.of("name", p.label(), "p", p.probability())).toList());
            json.put("image", dataUri(png));
            json.put("figures", figures);
        }

        /** A method's figure (and, for the logit lens, its data for the chart). */
        void add(ExplainMethod m, Path png, String note, INDArray map) {
            figures.add(Map.of("method", m.label(), "what", m.what(), "png", dataUri(png), "note", note));
            if (m == ExplainMethod.LOGIT_LENS) {
                int[] shown = ExplainCommand.lensClasses(map, y, config);
                json.put("lens", Map.of("classes", java.util.stream.IntStream.of(shown)
                        .mapToObj(k -> config.labels().get(k)).toList(), "p", ExplainCommand.columns(map, shown)));
            }
        }
    }

    /** Starts the part of an image: its index in the input, name, class y, top classes and picture. */
    Image image(int index, String name, int y, List<Predictions.Prediction> top, Path png) {
        Image image = new Image(index, name, y, top, png);
        images.add(image);
        return image;
    }

    /**
     * Adds the attention patterns {@code [L, H, T, g·g]} of every query token to the first images of a batch: the
     * weights each query gives the patches, one byte each, 255 = the row's largest.
     */
    void addPatterns(Vit vit, ImageSource.Batch batch, List<Image> entries) {
        int l = config.layers();
        int h = config.heads();
        int t = config.tokens();
        int n = config.patches();
        byte[][] bytes = new byte[entries.size()][l * h * t * n];
        try (Activations run = vit.run(batch.input(), Keep.kinds(Site.Kind.PATTERN))) {
            for (int layer = 0; layer < l; layer++) {
                float[] p = run.get(Site.pattern(layer)).castTo(DataType.FLOAT).dup('c').data().asFloat();
                for (int i = 0; i < entries.size(); i++) {
                    for (int head = 0; head < h; head++) {
                        for (int q = 0; q < t; q++) {
                            int row = ((i * h + head) * t + q) * t + 1;
                            float max = 1e-12f;
                            for (int k = 0; k < n; k++) {
                                max = Math.max(max, p[row + k]);
                            }
                            int to = ((layer * h + head) * t + q) * n;
                            for (int k = 0; k < n; k++) {
                                bytes[i][to + k] = (byte) Math.round(255 * p[row + k] / max);
                            }
                        }
                    }
                }
            }
        }
        for (int i = 0; i < entries.size(); i++) {
            entries.get(i).json.put("attention", Map.of("layers", l, "heads", h, "tokens", t, "grid",
                    config.gridSize(), "data", Base64.getEncoder().encodeToString(bytes[i])));
        }
    }

    /** Writes {@code dir/report.html}, naming the command line that made it; returns the file. */
    Path write(Path dir, List<String> args) throws IOException {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("title", "vit explain · " + model);
        data.put("model", model);
        data.put("command", "vit " + String.join(" ", args));
        data.put("methods", methods.stream().map(ExplainMethod::label).toList());
        data.put("images", images.stream().map(i -> i.json).toList());
        Path heatmap = dir.resolve("heatmap.png");
        data.put("trace", Files.isRegularFile(heatmap) ? dataUri(heatmap) : null);
        // inside <script>, "</" would end the element: JSON allows "<\/" for it
        String json = new ObjectMapper().writeValueAsString(data).replace("</", "<\\/");
        String html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>vit explain</title>\n"
                + "<style>\n" + resource("explain-report.css") + "</style></head>\n<body>\n<div id=\"app\"></div>\n"
                + "<script type=\"application/json\" id=\"vit4j-data\">" + json + "</script>\n<script>\n"
                + resource("explain-report.js") + "</script>\n</body></html>\n";
        Path file = dir.resolve("report.html");
        AtomicFile.writeString(file, html);
        return file;
    }

    private static String dataUri(Path png) {
        try {
            return "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(png));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = ExplainReport.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("the report's " + name + " is missing from the vit command's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
