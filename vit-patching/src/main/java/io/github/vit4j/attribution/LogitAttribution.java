package io.github.vit4j.attribution;

import io.github.vit4j.model.VitConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The direct logit attribution of one run ({@link DirectLogitAttribution}) for classes {@link #classes()}: C' of
 * them, over the K {@link #components()}, for B images of T tokens, in double precision. What sums to what:
 *
 * <pre>
 * direct  [B, C', K]        each part's share of each logit:   Σ_k direct + bias = logits
 * bias    [B, C']           the final LayerNorm's β and the head's bias through the head (s · β · Mᵀ + b)
 * tokens  [B, C', K, T]     direct split over the tokens the output reads:   Σ_t tokens = direct
 *                           (non-zero at CLS alone for ViT; at every patch too for DINOv2's patch mean)
 * lens    [B, C', K, T]     each part at token t read as if every final row were token t's (its own σ_t): the
 *                           logit lens per token and part; Σ_k lens[t] + bias = the model's output if every row
 *                           were t's (for ViT at CLS: = direct)
 * sources [B, C', L, H, T]  each head's direct share split over the tokens it attends to (pattern · v):
 *                           Σ_t sources[l, h] = direct of blocks.l.head.h
 * </pre>
 *
 * Per-patch maps ({@link #onPatchGrid}) drop the tokens before the patches and lay the rest on the patch grid.
 */
public final class LogitAttribution {

    private final VitConfig config;
    private final List<Component> components;
    private final int[] classes;
    private final double[] tokens;
    private final double[] lens;
    private final double[] sources;
    private final double[] bias;
    private final double[] logits;
    private final int b;
    private final int t;

    LogitAttribution(VitConfig config, List<Component> components, int[] classes, double[] tokens, double[] lens,
                     double[] sources, double[] bias, double[] allLogits) {
        this.config = config;
        this.components = components;
        this.classes = classes;
        this.tokens = tokens;
        this.lens = lens;
        this.sources = sources;
        this.bias = bias;
        this.t = config.tokens();
        this.b = bias.length / classes.length;
        this.logits = new double[b * classes.length];
        for (int i = 0; i < b; i++) {
            for (int ci = 0; ci < classes.length; ci++) {
                logits[i * classes.length + ci] = allLogits[i * config.classes() + classes[ci]];
            }
        }
    }

    /** The parts, in the order of the K axis. */
    public List<Component> components() {
        return components;
    }

    /** The attributed classes, in the order of the C' axis (a copy). */
    public int[] classes() {
        return classes.clone();
    }

    /** {@code [B, C', K, T]}: each part's share split over the tokens the output reads. */
    public INDArray tokens() {
        return array(tokens, b, classes.length, components.size(), t);
    }

    /** {@code [B, C', K]}: each part's share of each logit (the tokens summed). */
    public INDArray direct() {
        return tokens().sum(3);
    }

    /** {@code [B, C']}: the output's own term, LayerNorm's β and the head's bias through the head. */
    public INDArray bias() {
        return array(bias, b, classes.length);
    }

    /** {@code [B, C']}: the run's output at the attributed classes, what {@code direct} and {@code bias} sum to. */
    public INDArray logits() {
        return array(logits, b, classes.length);
    }

    /** {@code [B, C', K, T]}: each part at each token read as if every final row were that token's. */
    public INDArray lens() {
        return array(lens, b, classes.length, components.size(), t);
    }

    /** {@code [B, C', L, H, T]}: each head's direct share split over the tokens it attends to. */
    public INDArray sources() {
        return array(sources, b, classes.length, config.layers(), config.heads(), t);
    }

    /** {@code [B, C', L, H]}: each head's direct share. */
    public INDArray perHead() {
        INDArray direct = direct();
        INDArray out = Nd4j.zeros(direct.dataType(), b, classes.length, config.layers(), config.heads());
        for (int k = 0; k < components.size(); k++) {
            Component part = components.get(k);
            if (part.kind() == Component.Kind.HEAD) {
                out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(part.layer()),
                        NDArrayIndex.point(part.head())).assign(direct.get(NDArrayIndex.all(), NDArrayIndex.all(),
                        NDArrayIndex.point(k)));
            }
        }
        return out;
    }

    /**
     * {@code [B, C', 1 + 2L]}: the shares of TransformerLens's {@code decompose_resid} ({@link #layerNames()}): the
     * input, then per layer its {@code attn_out} (heads and bias) and its {@code mlp_out}.
     */
    public INDArray perLayer() {
        INDArray direct = direct();
        INDArray out = Nd4j.zeros(direct.dataType(), b, classes.length, 1 + 2 * config.layers());
        for (int k = 0; k < components.size(); k++) {
            Component part = components.get(k);
            int column = switch (part.kind()) {
                case INPUT -> 0;
                case HEAD, ATTN_BIAS -> 1 + 2 * part.layer();
                case MLP -> 2 + 2 * part.layer();
            };
            INDArray share = out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(column));
            share.addi(direct.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(k)));
        }
        return out;
    }

    /** The names of {@link #perLayer()}'s last axis: {@code input, blocks.0.attn_out, blocks.0.mlp_out, …}. */
    public List<String> layerNames() {
        List<String> names = new ArrayList<>();
        names.add("input");
        for (int l = 0; l < config.layers(); l++) {
            names.add("blocks." + l + ".attn_out");
            names.add("blocks." + l + ".mlp_out");
        }
        return List.copyOf(names);
    }

    /**
     * {@code [B, C', gh, gw]}: the whole stream at each patch read as if every final row were that patch's (the
     * lens summed over the parts, plus the bias): the logit the model would give were it that patch.
     */
    public INDArray lensMap() {
        INDArray sum = lens().sum(2);                                                            // [B, C', T]
        return onPatchGrid(sum.addi(bias().reshape(b, classes.length, 1).broadcast(sum.shape())));
    }

    /**
     * {@code [B, C', gh, gw]}: what every head's direct path moved from each patch to the logits (sources summed over
     * layers and heads); with the prefix tokens' share and the other parts it sums to the logit.
     */
    public INDArray sourceMap() {
        return onPatchGrid(sources().sum(2, 3));
    }

    /**
     * Each image's own class of a per-class array: {@code x} {@code [B, C', …]} → {@code [B, …]}, image b's entry
     * of class {@code y[b]} (a class index, one of {@link #classes()}): e.g. {@code ofEachImage(sourceMap(), y)}
     * for one map per image of its explained class.
     *
     * @throws IllegalArgumentException for a class per image that is not one of the attributed, or a count that is
     *                                  not the batch's
     */
    public INDArray ofEachImage(INDArray x, int... y) {
        if (y.length != b || x.rank() < 2 || x.size(0) != b || x.size(1) != classes.length) {
            throw new IllegalArgumentException("ofEachImage takes an array [B = " + b + ", C' = " + classes.length
                    + ", …] and one class per image, got " + Arrays.toString(x.shape()) + " and " + y.length
                    + " classes");
        }
        long[] shape = Arrays.copyOfRange(x.shape(), 1, x.rank());
        shape[0] = b;
        INDArray out = Nd4j.create(x.dataType(), shape);
        for (int i = 0; i < b; i++) {
            int image = i;
            int at = IntStream.range(0, classes.length).filter(k -> classes[k] == y[image])
                    .findFirst().orElseThrow(() -> new IllegalArgumentException("class " + y[image] + " of image "
                            + image + " was not attributed; the attributed classes are "
                            + Arrays.toString(classes)));
            out.slice(i).assign(x.slice(i).slice(at));
        }
        return out;
    }

    /**
     * {@code x} {@code [..., T]} on the patch grid {@code [..., gh, gw]}: the tokens before the patches (CLS,
     * distillation, registers) dropped.
     *
     * @throws IllegalArgumentException for an array whose last axis is not the model's T tokens
     */
    public INDArray onPatchGrid(INDArray x) {
        long last = x.size(x.rank() - 1);
        if (last != t) {
            throw new IllegalArgumentException("onPatchGrid takes an array whose last axis runs over the model's " + t
                    + " tokens, got " + Arrays.toString(x.shape()));
        }
        long[] shape = new long[x.rank() + 1];
        System.arraycopy(x.shape(), 0, shape, 0, x.rank() - 1);
        shape[x.rank() - 1] = config.gridHeight();
        shape[x.rank()] = config.gridWidth();
        INDArrayIndex[] at = new org.nd4j.linalg.indexing.INDArrayIndex[x.rank()];
        for (int i = 0; i < x.rank() - 1; i++) {
            at[i] = NDArrayIndex.all();
        }
        at[x.rank() - 1] = NDArrayIndex.interval(config.prefixTokens(), t);
        return x.get(at).dup('c').reshape('c', shape);
    }

    private static INDArray array(double[] data, long... shape) {
        return Nd4j.createFromArray(data).reshape('c', shape);
    }
}
