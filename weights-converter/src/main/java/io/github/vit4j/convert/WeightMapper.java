package io.github.vit4j.convert;

import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Turns the tensors of a safetensors file into {@link VitWeights}: finds each canonical tensor's source(s) through a
 * {@link NameLayout}, checks every shape against the config before reading anything, then reads, reshapes
 * ({@code [1,1,D] → [D]}, {@code [1,T,D] → [T,D]}, conv {@code [D,C,p,p] → [D,C·p·p]}) and concatenates rows
 * (q, k, v → qkv).
 */
final class WeightMapper {

    private WeightMapper() {
    }

    /**
     * Assembles the weights.
     *
     * @throws ModelFormatException naming the file and tensor: missing sources (all of them, with a sample of the
     *                              names present), a shape that does not fit the config (expected vs found, with a
     *                              hint), or source tensors the layout does not use
     * @throws IOException          when reading fails
     */
    static VitWeights assemble(WeightsFile file, NameLayout layout, VitConfig config) throws IOException {
        Map<String, long[]> expected = VitWeights.expectedShapes(config);
        List<String> missing = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (String canonical : expected.keySet()) {
            for (String source : layout.sources(canonical)) {
                used.add(source);
                if (!file.contains(source)) {
                    missing.add(source.equals(canonical) ? source : source + " (for " + canonical + ")");
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new ModelFormatException(file.file() + " has no tensor " + missing.get(0)
                    + (missing.size() > 1 ? " (and " + (missing.size() - 1) + " more missing: "
                    + missing.subList(1, Math.min(missing.size(), 7)) + (missing.size() > 7 ? ", …" : "") + ")" : "")
                    + " that a " + config.layers() + "-layer ViT needs under the " + layout.name() + " names; the file"
                    + " has names like " + file.sampleNames(8) + ". Check the layout, the mapping file or the layer"
                    + " count");
        }
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            checkShapes(file, layout, config, e.getKey(), e.getValue());
        }
        List<String> unused = new ArrayList<>();
        for (String name : file.names()) {
            if (!used.contains(name) && !layout.ignored(name)) {
                unused.add(name);
            }
        }
        if (!unused.isEmpty()) {
            throw new ModelFormatException(file.file() + " has " + unused.size() + " tensor(s) that the "
                    + layout.name() + " names do not use: " + unused.subList(0, Math.min(unused.size(), 8))
                    + (unused.size() > 8 ? ", …" : "") + "; a ViT of " + config.layers() + " layers uses "
                    + expected.size() + " tensors. If the extra tensors do not take part in inference, list them"
                    + " under ignore = … in a mapping file; otherwise the model is not a plain ViT");
        }
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            tensors.put(e.getKey(), read(file, layout.sources(e.getKey()), e.getValue()));
        }
        try {
            return VitWeights.fromTensors(config, tensors);
        } catch (IllegalArgumentException ex) {
            throw new ModelFormatException(file.file() + ": " + ex.getMessage(), ex);
        }
    }

    /** Checks the source shape(s) of one canonical tensor against the shape the config implies. */
    private static void checkShapes(WeightsFile file, NameLayout layout, VitConfig config, String canonical,
                                    long[] want) throws ModelFormatException {
        List<String> sources = layout.sources(canonical);
        if (sources.size() == 1) {
            long[] has = file.shape(sources.get(0));
            if (fits(canonical, want, has, config)) {
                return;
            }
            throw mismatch(file, config, canonical, sources.get(0), shown(canonical, want, has, config), has);
        }
        // Rows of several sources, concatenated: each [r_k, rest...] with the rest as wanted and Σ r_k = want[0].
        long rows = 0;
        long[] rest = Arrays.copyOfRange(want, 1, want.length);
        long[] part = want.clone();
        part[0] = want[0] / sources.size();
        for (String source : sources) {
            long[] has = squeezeLeadingOnes(file.shape(source), want.length);
            if (has.length != want.length || !Arrays.equals(rest, Arrays.copyOfRange(has, 1, has.length))) {
                throw mismatch(file, config, canonical, source, part, file.shape(source));
            }
            rows += has[0];
        }
        if (rows != want[0]) {
            throw new ModelFormatException(file.file() + ": " + canonical + " concatenates " + sources + " into " + rows
                    + " rows but needs " + Arrays.toString(want) + "; does the config match the weights?");
        }
    }

    private static boolean fits(String canonical, long[] want, long[] has, VitConfig config) {
        if (canonical.equals("patch_embed.proj.weight") && has.length == 4) {
            return Arrays.equals(has, convShape(config));
        }
        return Arrays.equals(squeezeLeadingOnes(has, want.length), want);
    }

    /** The expected shape written the way the file writes it: leading 1s kept, conv weights 4-D. */
    private static long[] shown(String canonical, long[] want, long[] has, VitConfig config) {
        if (canonical.equals("patch_embed.proj.weight") && has.length == 4) {
            return convShape(config);
        }
        if (has.length > want.length) {
            long[] out = new long[has.length];
            Arrays.fill(out, 1);
            System.arraycopy(want, 0, out, has.length - want.length, want.length);
            return out;
        }
        return want;
    }

    private static long[] convShape(VitConfig c) {
        return new long[] {c.hiddenSize(), c.channels(), c.patchSize(), c.patchSize()};
    }

    /** Drops leading 1-dimensions while the rank exceeds {@code rank}: [1, 1, D] → [D], [1, T, D] → [T, D]. */
    static long[] squeezeLeadingOnes(long[] shape, int rank) {
        int drop = 0;
        while (shape.length - drop > rank && shape[drop] == 1) {
            drop++;
        }
        return Arrays.copyOfRange(shape, drop, shape.length);
    }

    private static ModelFormatException mismatch(WeightsFile file, VitConfig config, String canonical, String source,
                                                 long[] want, long[] has) {
        return new ModelFormatException(file.file() + ": expected " + canonical + " " + Arrays.toString(want)
                + " but the file has " + Arrays.toString(has) + (source.equals(canonical) ? "" : " (as " + source + ")")
                + hint(config, canonical, has));
    }

    private static String hint(VitConfig c, String canonical, long[] has) {
        if (canonical.equals("pos_embed") && has.length >= 2) {
            long tokens = has[has.length - 2];
            long grid = Math.round(Math.sqrt(tokens - 1.0));
            if (grid * grid == tokens - 1) {
                return "; is this a " + grid * c.patchSize() + "px model? (" + tokens + " tokens = 1 + " + grid + "×"
                        + grid + " patches; the config says " + c.imageSize() + "px in " + c.patchSize()
                        + "px patches, " + c.tokens() + " tokens)";
            }
        }
        if (canonical.startsWith("head.") && has.length >= 1) {
            return "; the weights have " + has[0] + " classes but the config names " + c.classes();
        }
        if (canonical.equals("patch_embed.proj.weight") && has.length == 4) {
            return "; the file has " + has[1] + " channels, " + has[2] + "px patches and width " + has[0]
                    + "; the config says " + c.channels() + ", " + c.patchSize() + "px and " + c.hiddenSize();
        }
        if (canonical.contains("mlp.fc1") && has.length >= 1) {
            return "; the file's MLP is " + has[0] + " wide; the config says " + c.mlpSize();
        }
        if (has.length >= 1) {
            return "; the file's width looks like " + has[has.length - 1] + "; the config says hiddenSize "
                    + c.hiddenSize() + " — does the config match the weights?";
        }
        return "; does the config match the weights?";
    }

    /** Reads the source(s) of one tensor as one float32 C-order array of shape {@code want}. */
    private static INDArray read(WeightsFile file, List<String> sources, long[] want) throws IOException {
        if (sources.size() == 1) {
            INDArray a = file.load(sources.get(0));
            return a.reshape('c', want); // a view: the array is fresh and contiguous
        }
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, want, 'c');
        ByteBuffer target = out.data().asNio().order(ByteOrder.nativeOrder());
        target.position(0).limit(Math.toIntExact(4 * out.length()));
        for (String source : sources) {
            INDArray part = file.load(source);
            ByteBuffer bytes = part.data().asNio().order(ByteOrder.nativeOrder());
            bytes.position(0).limit(Math.toIntExact(4 * part.length()));
            target.put(bytes);
        }
        return out;
    }
}
