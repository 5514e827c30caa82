package io.github.vit4j.cli;

import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.patching.Tokens;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code report.html} of {@code vit explain}: one self-contained file (images as data URIs, the data as inline JSON,
 * the page's own script inline; nothing fetched at view time, up to the sizes below). Per image: the original and every method's figure
 * with the predicted classes; the logit lens as a layers × classes chart; a layers × heads grid of attention maps
 * for a query patch chosen on the image (the full patterns of every query token travel in the file, with the
 * model's token layout: the tokens before the patches, CLS or not; one byte per
 * weight, scaled to each query row's largest); the folder's trace heatmap when it holds one. The page itself is
 * {@code explain-report.js} and {@code .css} beside this class.
 *
 * <p>The attention maps are what makes a page large (layers × heads × tokens × patches bytes an image: 5.6 MB for
 * ViT-B/16 at 224 px, 48 MB at 384 px), so the page carries at most {@link #ATTENTION_BYTES} of them: an image whose
 * maps would go past that is shown without them, saying so, and {@link #leftOut()} counts those images for the
 * command's output. Pictures go in the page (as data URIs) up to {@link #PICTURE_BYTES} of PNG; those past it are
 * linked as the files beside the page ({@code <index>/<method>.png}), and the page says so, so that a report of
 * many images still shows them all (the original of an image with attention maps is always inline: the page reads
 * its pixels, which a browser allows only for an inline picture). The page is written as a stream, the maps as they are, never as one string. Every text from
 * outside (labels, file names, the command line) reaches the page only inside the inline JSON, with {@code <},
 * {@code >}, {@code &}, U+2028 and U+2029 escaped ({@link HtmlSafeJson}), and the page's script sets it as text,
 * never as HTML.
 */
final class ExplainReport {

    /** The most attention-map bytes (one a weight) one page carries: 64 MB, 85 MB in the file as base64. */
    static final long ATTENTION_BYTES = 64_000_000L;

    /** The most PNG bytes of pictures one page carries inline; those past it it links to, beside the page. */
    static final long PICTURE_BYTES = 64_000_000L;

    private final String model;
    private final VitConfig config;
    private final List<ExplainMethod> methods;
    private final long attentionBytes;
    private final long pictureBytes;
    private final List<Image> images = new ArrayList<>();
    private final List<Picture> pictures = new ArrayList<>();
    private long attentionUsed;
    private int leftOut;
    private int linked;

    ExplainReport(String model, VitConfig config, List<ExplainMethod> methods) {
        this(model, config, methods, ATTENTION_BYTES, PICTURE_BYTES);
    }

    /**
     * A report whose page carries at most {@code attentionBytes} of attention maps and {@code pictureBytes} of
     * pictures inline.
     */
    ExplainReport(String model, VitConfig config, List<ExplainMethod> methods, long attentionBytes,
                  long pictureBytes) {
        this.model = model;
        this.config = config;
        this.methods = methods;
        this.attentionBytes = attentionBytes;
        this.pictureBytes = pictureBytes;
    }

    /** A PNG file the page shows, as {@code into.get(key)}: inline while the page has room, else linked. */
    private record Picture(Map<String, Object> into, String key, Path png) {
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
            pictures.add(new Picture(json, "image", png));
            json.put("figures", figures);
        }

        /** A method's figure (and, for the logit lens, its data for the chart). */
        void add(ExplainMethod m, Path png, String note, INDArray map) {
            Map<String, Object> figure = new LinkedHashMap<>(Map.of("method", m.label(), "what", m.what(), "note",
                    note));
            pictures.add(new Picture(figure, "png", png));
            figures.add(figure);
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
     * weights each query gives the patches, one byte each, 255 = the row's largest. An image whose maps would take
     * the page past its {@link #ATTENTION_BYTES} is left without them, with a note; the patterns are computed only
     * when some image takes them.
     */
    void addPatterns(Vit vit, ImageSource.Batch batch, List<Image> entries) {
        int l = config.layers();
        int h = config.heads();
        int t = config.tokens();
        int n = config.patches();
        long size = (long) l * h * t * n;
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            if (size <= attentionBytes - attentionUsed) {
                attentionUsed += size;
                kept.add(i);
            } else {
                leftOut++;
                entries.get(i).json.put("attentionNote", String.format(Locale.ROOT, "Attention maps left out: this "
                        + "image's (%d layers × %d heads × %d queries × %d patches) take %.1f MB, and this page "
                        + "carries at most %.1f MB of them (%.1f MB already, for earlier images). Explain fewer "
                        + "images at a time to see them.", l, h, t, n, size / 1e6, attentionBytes / 1e6,
                        attentionUsed / 1e6));
            }
        }
        if (kept.isEmpty()) {
            return;
        }
        byte[][] bytes = new byte[kept.size()][Math.toIntExact(size)];
        try (Activations run = vit.run(batch.input(), Keep.kinds(Site.Kind.PATTERN))) {
            for (int layer = 0; layer < l; layer++) {
                float[] p = run.get(Site.pattern(layer)).castTo(DataType.FLOAT).dup('c').data().asFloat();
                for (int j = 0; j < kept.size(); j++) {
                    int i = kept.get(j);
                    for (int head = 0; head < h; head++) {
                        for (int q = 0; q < t; q++) {
                            int row = ((i * h + head) * t + q) * t + config.prefixTokens();
                            float max = 1e-12f;
                            for (int k = 0; k < n; k++) {
                                max = Math.max(max, p[row + k]);
                            }
                            int to = ((layer * h + head) * t + q) * n;
                            for (int k = 0; k < n; k++) {
                                bytes[j][to + k] = (byte) Math.round(255 * p[row + k] / max);
                            }
                        }
                    }
                }
            }
        }
        for (int j = 0; j < kept.size(); j++) {
            // a byte[] goes into the page as base64, written straight from the array
            entries.get(kept.get(j)).json.put("attention", Map.of("layers", l, "heads", h, "tokens", t, "grid",
                    config.gridSize(), "prefix", config.prefixTokens(), "cls", config.architecture().hasCls(),
                    "layout", Tokens.layout(config), "data", bytes[j]));
        }
    }

    /** How many images' attention maps were left out of the page, for its size ({@link #ATTENTION_BYTES}). */
    int leftOut() {
        return leftOut;
    }

    /** How many pictures the page {@link #write written} last links to rather than carries ({@link #PICTURE_BYTES}). */
    int linked() {
        return linked;
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
        data.put("trace", null);
        List<Picture> shown = new ArrayList<>();
        if (Files.isRegularFile(heatmap)) {
            shown.add(new Picture(data, "trace", heatmap));
        }
        shown.addAll(pictures);
        linked = 0;
        long inline = 0;
        for (Picture p : shown) {
            long size = Files.size(p.png());
            // the attention explorer reads the pixels of its image, which a browser allows only for one inline
            boolean explored = p.into().containsKey("attention");
            if (size <= pictureBytes - inline || explored) {
                inline += size;
                p.into().put(p.key(), "data:image/png;base64," + Base64.getEncoder()
                        .encodeToString(Files.readAllBytes(p.png())));
            } else {
                linked++;
                p.into().put(p.key(), relativeUri(dir, p.png()));
            }
        }
        if (linked > 0) {
            data.put("picturesNote", String.format(Locale.ROOT, "%d of the %d pictures are read from the files "
                    + "beside this page (it carries at most %.1f MB of pictures inline): keep report.html in its "
                    + "folder.", linked, shown.size(), pictureBytes / 1e6));
        }
        String head = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>vit explain</title>\n"
                + "<style>\n" + resource("explain-report.css") + "</style></head>\n<body>\n<div id=\"app\"></div>\n"
                + "<script type=\"application/json\" id=\"vit4j-data\">";
        String tail = "</script>\n<script>\n" + resource("explain-report.js") + "</script>\n</body></html>\n";
        Path file = dir.resolve("report.html");
        AtomicFile.write(file, out -> {
            out.write(head.getBytes(StandardCharsets.UTF_8));
            HtmlSafeJson.write(out, data);
            out.write(tail.getBytes(StandardCharsets.UTF_8));
        });
        return file;
    }

    /** {@code file} as a URI relative to {@code dir}, each name percent-encoded. */
    private static String relativeUri(Path dir, Path file) {
        List<String> names = new ArrayList<>();
        for (Path name : dir.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize())) {
            names.add(URLEncoder.encode(name.toString(), StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return String.join("/", names);
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
