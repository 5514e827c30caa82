package io.github.vit4j.report;

import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.trace.SweepKind;
import io.github.vit4j.trace.TraceSummary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code summary.json}: what was run and what came out, for scripts and notebooks.
 * <pre>
 * {
 *   "arguments":  { the command's arguments, as given },
 *   "model":      { imageSize, patchSize, channels, hiddenSize, layers, heads, mlpSize, layerNormEps, classes },
 *   "corruption": "noise(k=3, σ=0.21)",
 *   "method":     "exact",   or "atp" / "atp-ig:4": the cells are attribution-patching estimates
 *   "n":          100,
 *   "p_clean":    0.74,      mean p(y) of the clean runs
 *   "p_corrupt":  0.41,      mean p(y) of the corrupted runs
 *   "kinds": { "resid": { "mean": [per layer], "ci95": [per layer], "count": [per layer] }, "attn": …, "mlp": … }
 * }
 * </pre>
 * {@code ci95} is the half-width 1.96·sd/√count; {@code count} the images averaged in each cell (fewer than
 * {@code n} where the metric was undefined). Numbers that are not defined (NaN) are written as {@code null}.
 */
public final class SummaryJson {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SummaryJson() {
    }

    /** The document as a tree. */
    public static ObjectNode toJson(Map<String, ?> arguments, VitConfig config, String corruption,
                                    TraceSummary summary) {
        ObjectNode root = MAPPER.createObjectNode();
        root.set("arguments", MAPPER.valueToTree(arguments));
        ObjectNode model = root.putObject("model");
        model.put("imageSize", config.imageSize());
        model.put("patchSize", config.patchSize());
        model.put("channels", config.channels());
        model.put("hiddenSize", config.hiddenSize());
        model.put("layers", config.layers());
        model.put("heads", config.heads());
        model.put("mlpSize", config.mlpSize());
        model.put("layerNormEps", config.layerNormEps());
        model.put("classes", config.classes());
        root.put("corruption", corruption);
        root.put("method", summary.method().label());
        root.put("n", summary.images());
        number(root, "p_clean", summary.pClean());
        number(root, "p_corrupt", summary.pCorrupt());
        ObjectNode kinds = root.putObject("kinds");
        for (SweepKind k : summary.kinds()) {
            ObjectNode node = kinds.putObject(k.label());
            numbers(node.putArray("mean"), summary.mean().get(k));
            numbers(node.putArray("ci95"), summary.ci95().get(k));
            ArrayNode count = node.putArray("count");
            for (int c : summary.count().get(k)) {
                count.add(c);
            }
        }
        return root;
    }

    /** Writes the document to {@code file} (through a temporary file, so a reader never sees half of it). */
    public static void write(Path file, Map<String, ?> arguments, VitConfig config, String corruption,
                             TraceSummary summary) throws IOException {
        AtomicFile.writeString(file, MAPPER.writeValueAsString(toJson(arguments, config, corruption, summary)) + "\n");
    }

    private static void number(ObjectNode node, String key, double v) {
        if (Double.isFinite(v)) {
            node.put(key, v);
        } else {
            node.putNull(key);
        }
    }

    private static void numbers(ArrayNode array, double[] values) {
        for (double v : values) {
            if (Double.isFinite(v)) {
                array.add(v);
            } else {
                array.addNull();
            }
        }
    }
}
