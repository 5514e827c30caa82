package io.github.vit4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Zero-shot classification with CLIP: the prompts' text embeddings become the image tower's head, so that the
 * result is an ordinary image classifier over classes named in words. Its logits are Hugging Face's
 * {@code logits_per_image}, {@code exp(logit_scale) · cos(image_embeds, class embedding)}: the head reads
 * {@code image_embeds / ‖image_embeds‖} ({@link Architecture#cosineHead()}) and its weight is
 * {@code exp(logit_scale)} times the unit class embeddings, bias 0. Everything that runs on a {@link Vit} then runs
 * on CLIP with these classes: {@link Vit#classify}, traces, {@link Vit#gradients} of a class's logit, patching,
 * explanations.
 *
 * <p>A class's embedding is that of its prompt, normalised; with several prompts per class (templates, as in
 * OpenAI's ImageNet evaluation) each prompt's embedding is normalised, the class's are averaged and the mean is
 * normalised again, as OpenAI's notebook does.
 *
 * <pre>{@code
 * Clip clip = new Clip(imageTower, textTower, logitScale);      // e.g. ClipTextLoader.clip(folder, imageTower)
 * VitWeights classifier = ZeroShot.classifier(clip, List.of("cat", "dog"),
 *         List.of(ZeroShot.DEFAULT_TEMPLATE), tokenizer::tokenize);   // vit-text's ClipTokenizer
 * Predictions p = new Vit(classifier).classify(input);          // "cat" 0.93, "dog" 0.07
 * }</pre>
 */
public final class ZeroShot {

    /** CLIP's usual prompt, {@code "a photo of a {}."}: {@code {}} stands for the class name. */
    public static final String DEFAULT_TEMPLATE = "a photo of a {}.";

    /** What a template's class name replaces. */
    public static final String PLACEHOLDER = "{}";

    /** Prompts run through the text tower at once. */
    private static final int CHUNK = 64;

    private ZeroShot() {
    }

    /**
     * The prompt of each class: {@code template} with every {@code {}} replaced by the class name.
     *
     * @throws IllegalArgumentException for a template without {@code {}}, or no classes
     */
    public static List<String> prompts(String template, List<String> classes) {
        if (template == null || !template.contains(PLACEHOLDER)) {
            throw new IllegalArgumentException("template \"" + template + "\" has no " + PLACEHOLDER + " for the"
                    + " class name; e.g. \"" + DEFAULT_TEMPLATE + "\"");
        }
        checkClasses(classes);
        return classes.stream().map(c -> template.replace(PLACEHOLDER, c)).toList();
    }

    /**
     * The image classifier over {@code classes}, each described by the prompt {@code template} makes of its name (or
     * several templates, averaged), tokenized by {@code tokenizer}: prompts in, one row of token ids per prompt out,
     * as CLIP's tokenizer gives them ({@code ClipTokenizer::tokenize} of the vit-text module: 77 positions,
     * start- and end-of-text, padded with 0).
     *
     * @throws IllegalArgumentException for no templates, a template without {@code {}}, no classes, or prompts the
     *                                  text tower refuses (see {@link TextTower#run(long[][], Keep, Map)})
     */
    public static VitWeights classifier(Clip clip, List<String> classes, List<String> templates,
                                        Function<List<String>, long[][]> tokenizer) {
        if (templates == null || templates.isEmpty()) {
            throw new IllegalArgumentException("no templates; use List.of(ZeroShot.DEFAULT_TEMPLATE)");
        }
        checkClasses(classes);
        long[][][] ids = new long[classes.size()][templates.size()][];
        for (int k = 0; k < templates.size(); k++) {
            long[][] rows = tokenizer.apply(prompts(templates.get(k), classes));
            if (rows == null || rows.length != classes.size()) {
                throw new IllegalArgumentException("the tokenizer gave " + (rows == null ? "nothing" : rows.length
                        + " rows") + " for the " + classes.size() + " prompts of template \"" + templates.get(k)
                        + "\"; it must give one row of token ids per prompt");
            }
            for (int c = 0; c < classes.size(); c++) {
                ids[c][k] = rows[c];
            }
        }
        return classifier(clip, classes, ids);
    }

    /**
     * The image classifier over {@code classes}, described by one prompt each: {@code ids[c]} is class c's prompt as
     * token ids.
     *
     * @throws IllegalArgumentException when there is not one row of ids per class, or the text tower refuses them
     */
    public static VitWeights classifier(Clip clip, List<String> classes, long[][] ids) {
        if (ids == null) {
            throw new IllegalArgumentException("no prompt ids; give one row of token ids per class");
        }
        long[][][] one = new long[ids.length][][];
        for (int c = 0; c < ids.length; c++) {
            one[c] = new long[][] {ids[c]};
        }
        return classifier(clip, classes, one);
    }

    /**
     * The image classifier over {@code classes}, described by several prompts each: {@code ids[c][k]} is class c's
     * k-th prompt as token ids; each class's unit embeddings are averaged and renormalised.
     *
     * @throws IllegalArgumentException when there is not one list of prompts per class, a class has none, or the text
     *                                  tower refuses them
     */
    public static VitWeights classifier(Clip clip, List<String> classes, long[][][] ids) {
        return classifier(clip, classes, classEmbeddings(new TextTower(clip.text()), classes, ids));
    }

    /**
     * The image classifier whose class c is the direction {@code embeddings[c]} ({@code [C, P]}, normalised here):
     * the image tower of {@code clip} with a cosine head of weight {@code exp(logit_scale) · embeddings / ‖·‖}, bias
     * 0, labelled {@code classes}. The image tower's arrays are shared, not copied.
     *
     * @throws IllegalArgumentException for embeddings that are not {@code [classes, P]} or have a zero row
     */
    public static VitWeights classifier(Clip clip, List<String> classes, INDArray embeddings) {
        checkClasses(classes);
        int p = clip.image().config().embeddingSize();
        long[] want = {classes.size(), p};
        if (embeddings == null || !Arrays.equals(want, embeddings.shape())) {
            throw new IllegalArgumentException("class embeddings " + (embeddings == null ? "missing"
                    : Arrays.toString(embeddings.shape())) + ", expected " + Arrays.toString(want)
                    + ": one row per class in CLIP's " + p + "-dimensional embedding space");
        }
        INDArray weight = unitRows(embeddings.castTo(DataType.DOUBLE), classes).muli(clip.scale())
                .castTo(DataType.FLOAT);                                                          // [C, P]
        VitConfig c = clip.image().config();
        VitConfig config = c.withArchitecture(c.architecture().withCosineHead()).withLabels(classes);
        Map<String, INDArray> tensors = new LinkedHashMap<>(clip.image().tensors());
        tensors.remove("head.weight");
        tensors.remove("head.bias");
        tensors.put("head.weight", weight);
        tensors.put("head.bias", Nd4j.zeros(DataType.FLOAT, classes.size()));
        return VitWeights.fromTensors(config, tensors);
    }

    /**
     * The unit embedding of each class {@code [C, P]}: its prompts' text embeddings, each normalised, averaged and
     * normalised again (one prompt: its normalised embedding). Computed in double from the tower's float32 output.
     * Prompts may differ in length: each is padded after its end-of-text token, which causal attention never reads.
     *
     * @throws IllegalArgumentException when there is not one list of prompts per class, a class has none, or the
     *                                  tower refuses them
     */
    public static INDArray classEmbeddings(TextTower tower, List<String> classes, long[][][] ids) {
        checkClasses(classes);
        if (ids == null || ids.length != classes.size()) {
            throw new IllegalArgumentException((ids == null ? "no" : ids.length) + " lists of prompt ids for "
                    + classes.size() + " classes; give each class its prompts");
        }
        List<long[]> rows = new ArrayList<>();
        int longest = 0;
        for (int c = 0; c < ids.length; c++) {
            if (ids[c] == null || ids[c].length == 0) {
                throw new IllegalArgumentException("class \"" + classes.get(c) + "\" has no prompts");
            }
            for (int k = 0; k < ids[c].length; k++) {
                String which = "class \"" + classes.get(c) + "\", prompt " + k;
                if (ids[c][k] == null) {
                    throw new IllegalArgumentException(which + " has no token ids");
                }
                TextTower.checkRow(tower.config(), ids[c][k], which);
                longest = Math.max(longest, ids[c][k].length);
            }
            rows.addAll(Arrays.asList(ids[c]));
        }
        // one length for the tower: pad with 0 after each row's end-of-text, which attention never reads (causal)
        int t = longest;
        rows.replaceAll(r -> Arrays.copyOf(r, t));
        int p = tower.config().embeddingSize();
        INDArray all = Nd4j.create(DataType.DOUBLE, rows.size(), p);                            // [ΣK, P]
        for (int from = 0; from < rows.size(); from += CHUNK) {
            int to = Math.min(rows.size(), from + CHUNK);
            INDArray chunk = tower.textEmbeds(rows.subList(from, to).toArray(new long[0][]));
            all.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).assign(chunk.castTo(DataType.DOUBLE));
        }
        INDArray units = unitRows(all, null);                                                    // [ΣK, P]
        INDArray means = Nd4j.create(DataType.DOUBLE, ids.length, p);                           // [C, P]
        int row = 0;
        for (int c = 0; c < ids.length; c++) {
            int k = ids[c].length;
            means.putRow(c, units.get(NDArrayIndex.interval(row, row + k),
                    NDArrayIndex.all()).mean(0));
            row += k;
        }
        return unitRows(means, classes).castTo(DataType.FLOAT);
    }

    /** Each row of {@code x} (double) divided by its L2 norm; refuses a zero row, naming its class if known. */
    private static INDArray unitRows(INDArray x, List<String> classes) {
        INDArray norms = x.norm2(true, 1);                                                       // [R, 1]
        for (int r = 0; r < norms.rows(); r++) {
            double n = norms.getDouble(r, 0);
            if (!(n > 0) || !Double.isFinite(n)) {
                throw new IllegalArgumentException("the embedding of " + (classes == null ? "prompt " + r
                        : "class \"" + classes.get(r) + "\"") + " has norm " + n + "; it has no direction to"
                        + " compare images with");
            }
        }
        return x.divColumnVector(norms);
    }

    private static void checkClasses(List<String> classes) {
        if (classes == null || classes.isEmpty()) {
            throw new IllegalArgumentException("no classes: name at least one, e.g. List.of(\"cat\", \"dog\")");
        }
        for (int c = 0; c < classes.size(); c++) {
            if (classes.get(c) == null || classes.get(c).isBlank()) {
                throw new IllegalArgumentException("class " + c + " is " + (classes.get(c) == null ? "null"
                        : "blank") + "; name every class in words, e.g. List.of(\"cat\", \"dog\")");
            }
        }
    }
}
