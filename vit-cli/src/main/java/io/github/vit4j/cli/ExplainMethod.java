package io.github.vit4j.cli;

import io.github.vit4j.attribution.DirectLogitAttribution;
import io.github.vit4j.attribution.LogitAttribution;
import io.github.vit4j.explain.Attack;
import io.github.vit4j.explain.AttentionMaps;
import io.github.vit4j.explain.AttentionRollout;
import io.github.vit4j.explain.AttnLrp;
import io.github.vit4j.explain.Baseline;
import io.github.vit4j.explain.Chefer;
import io.github.vit4j.explain.CheferLrp;
import io.github.vit4j.explain.GradCam;
import io.github.vit4j.explain.GradientTimesInput;
import io.github.vit4j.explain.IntegratedGradients;
import io.github.vit4j.explain.LogitLens;
import io.github.vit4j.explain.OcclusionSensitivity;
import io.github.vit4j.explain.Saliency;
import io.github.vit4j.explain.SmoothGrad;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Vit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A method of {@code vit explain}: its name on the command line, what its map is, and how vit-explain computes it for
 * a batch ({@code [B, …]}, batch first; each image's file drops the B).
 */
enum ExplainMethod {
    SALIENCY("saliency", Shape.PIXELS, "max over channels of |∂ logit_y / ∂ pixel|"),
    GRADXINPUT("gradxinput", Shape.PIXELS, "Σ_channels pixel · ∂ logit_y / ∂ pixel"),
    SMOOTHGRAD("smoothgrad", Shape.PIXELS, "Σ_channels mean ∂ logit_y / ∂ pixel over noisy copies"),
    IG("ig", Shape.PIXELS, "Σ_channels integrated gradients of logit_y from black"),
    CHEFER("chefer", Shape.GRID, "Chefer et al. (ICCV 2021): CLS row of R, R ← R + E_h[(∇A ⊙ A)⁺]·R from R = I"),
    CHEFER_LRP("chefer-lrp", Shape.GRID, "Chefer et al. (CVPR 2021): CLS row of Π (I + E_h[(∇A ⊙ R_A)⁺]), R_A by LRP"),
    ATTNLRP("attnlrp", Shape.PIXELS, "AttnLRP (Achtibat et al. 2024): Σ_channels relevance of the input, from logit_y"),
    DLA("dla", Shape.GRID, "direct logit attribution: what the heads' direct path moved from each patch to logit_y"),
    GRADCAM("gradcam", Shape.GRID, "Grad-CAM at the last block's ln1: ReLU(Σ_d w_d A[n, d])"),
    ROLLOUT("rollout", Shape.GRID, "attention rollout: the rows the head reads (CLS) of Π (A + I)/2"),
    ATTENTION("attention", Shape.HEADS, "attention of the CLS query (without CLS: the mean query) to each patch"),
    LOGIT_LENS("logit-lens", Shape.LAYER_CLASS, "p(class) from each layer's resid_post through the model's head"),
    OCCLUSION("occlusion", Shape.GRID, "p_y(x) − p_y(x with one patch filled with the dataset mean)"),
    FGSM("fgsm", Shape.IMAGE, "FGSM adversarial pixels"),
    PGD("pgd", Shape.IMAGE, "PGD adversarial pixels");

    /** What a method's map is indexed by. */
    enum Shape {
        /** {@code [H, W]}: the model's input resolution. */
        PIXELS,
        /** {@code [g, g]}: the patch grid. */
        GRID,
        /** {@code [L, H, g, g]}: every block and head, on the grid. */
        HEADS,
        /** {@code [L, C]}: every block and class. */
        LAYER_CLASS,
        /** {@code [C, H, W]}: pixels in [0, 1]. */
        IMAGE
    }

    /**
     * The methods' parameters, from the command line.
     *
     * @param igSteps  integrated gradients' K (Gauss–Legendre points)
     * @param samples  SmoothGrad's noisy copies
     * @param epsilon  FGSM's and PGD's ε, in 1/255 units
     * @param pgdSteps PGD's iterations (step ε/4)
     * @param seed     SmoothGrad's and PGD's seed
     * @param batch    the most images (or copies, path points) per forward and backward
     */
    record Settings(int igSteps, int samples, double epsilon, int pgdSteps, long seed, int batch) {
    }

    private final String label;
    private final Shape shape;
    private final String what;

    ExplainMethod(String label, Shape shape, String what) {
        this.label = label;
        this.shape = shape;
        this.what = what;
    }

    /** The name on the command line and of the method's files. */
    String label() {
        return label;
    }

    Shape shape() {
        return shape;
    }

    /** What the map's values are, for titles and legends. */
    String what() {
        return what;
    }

    /** The methods named in a comma-separated list, in the list's order, each once. */
    static List<ExplainMethod> parse(String list) {
        List<ExplainMethod> methods = new ArrayList<>();
        for (String name : list.split(",")) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            ExplainMethod m = Arrays.stream(values()).filter(v -> v.label.equals(n)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown method '" + name.trim() + "' in --methods "
                            + list + "; expected a comma-separated list of " + all()));
            if (!methods.contains(m)) {
                methods.add(m);
            }
        }
        return List.copyOf(methods);
    }

    /**
     * Whether the method reads class probabilities (a softmax of the output), which a model without a classifier
     * does not have: the logit lens and the attacks.
     */
    boolean needsClassifier() {
        return this == LOGIT_LENS || this == FGSM || this == PGD;
    }

    /**
     * Why the method does not apply to the model, or empty when it does: Chefer's maps read the CLS row (SigLIP has
     * none), and direct logit attribution splits a linear readout (SigLIP's attention probe is not one).
     */
    java.util.Optional<String> refusal(io.github.vit4j.model.VitConfig c) {
        boolean cls = c.architecture().hasCls();
        boolean probe = c.architecture().pooling() == io.github.vit4j.model.Architecture.Pooling.ATTENTION_PROBE;
        return switch (this) {
            case CHEFER, CHEFER_LRP -> cls ? java.util.Optional.empty()
                    : java.util.Optional.of("maps the CLS row of a relevance matrix, and this model has no CLS token");
            case ATTNLRP -> AttnLrp.supports(c) ? java.util.Optional.empty() : java.util.Optional.of("follows the "
                    + "original ViT/DeiT layout (CLS, a linear head on its row), and this model's head differs");
            case DLA -> !probe ? java.util.Optional.empty() : java.util.Optional.of("splits the output along the "
                    + "linear path from the stream, and this model's attention-probe pooling is not linear");
            default -> java.util.Optional.empty();
        };
    }

    /**
     * A method's result for a batch: the maps {@code [B, …]} and a note per image for its figure and the report (empty
     * where there is nothing to say; integrated gradients' completeness).
     */
    record Maps(INDArray maps, List<String> notes) {

        static Maps of(INDArray maps) {
            return new Maps(maps, java.util.Collections.nCopies((int) maps.size(0), ""));
        }
    }

    /** Every method's name, comma-separated. */
    static String all() {
        return String.join(",", Arrays.stream(values()).map(ExplainMethod::label).toList());
    }

    /** The method's result for a batch of images and their classes y, batch first, with its notes. */
    Maps run(Vit vit, ImageSource.Batch images, int[] y, Settings s) {
        IntStream indices = IntStream.range(0, images.size());
        return switch (this) {
            case SALIENCY -> Maps.of(new Saliency(s.batch()).of(vit, images, y).map());
            case GRADXINPUT -> Maps.of(new GradientTimesInput(s.batch()).of(vit, images, y).map());
            case SMOOTHGRAD -> Maps.of(new SmoothGrad(s.samples(), 0.15, s.seed(), s.batch()).of(vit, images, y).map());
            case IG -> {
                IntegratedGradients.Result r = new IntegratedGradients(s.igSteps(), Baseline.black(), s.batch())
                        .of(vit, images, y);
                yield new Maps(r.attribution().map(), indices.mapToObj(i -> completeness(r, i, s.igSteps())).toList());
            }
            case CHEFER -> Maps.of(Chefer.of(vit, images.input(), y));
            case CHEFER_LRP -> {
                CheferLrp.Result r = new CheferLrp(s.batch()).of(vit, images.input(), y);
                yield new Maps(r.map(), indices.mapToObj(i -> String.format(Locale.ROOT, "LRP conservation: Σ "
                        + "relevance at block 0's input %.4f of the class's 1", r.totals()[i][0])).toList());
            }
            case ATTNLRP -> {
                AttnLrp.Result r = new AttnLrp(s.batch()).of(vit, images.input(), y);
                yield new Maps(r.map(), indices.mapToObj(i -> String.format(Locale.ROOT, "Σ relevance: %.4g at the "
                        + "input, %.4g at block 0's input, of logit_y %.4g", r.pixels().slice(i).sumNumber()
                        .doubleValue(), r.totals()[i][0], r.logits()[i])).toList());
            }
            case DLA -> {
                LogitAttribution a = DirectLogitAttribution.of(vit.weights()).attribute(vit, images.input(),
                        IntStream.of(y).distinct().toArray());
                yield Maps.of(a.ofEachImage(a.sourceMap(), y).castTo(DataType.FLOAT));
            }
            case GRADCAM -> Maps.of(GradCam.lastBlock(vit.config()).of(vit, images.input(), y));
            case ROLLOUT -> Maps.of(AttentionRollout.of(vit, images.input()));
            case ATTENTION -> Maps.of(AttentionMaps.forModel(vit.config()).of(vit, images.input()));
            case LOGIT_LENS -> Maps.of(LogitLens.of(vit, images.input()).probabilities());
            case OCCLUSION -> Maps.of(occlusion(vit, images, y, s));
            case FGSM -> Maps.of(Attack.fgsm(s.epsilon()).withBatch(s.batch()).untargeted(vit, images, y));
            case PGD -> Maps.of(Attack.pgd(s.epsilon(), s.epsilon() / 4, s.pgdSteps(), s.seed()).withBatch(s.batch())
                    .untargeted(vit, images, y));
        };
    }

    /**
     * Integrated gradients' completeness for image i, as Captum's convergence delta: the delta, its share of the gap
     * f(x) − f(black), and a warning past {@link IntegratedGradients#TOLERANCE}.
     */
    static String completeness(IntegratedGradients.Result r, int i, int steps) {
        double gap = r.target()[i] - r.start()[i];
        String text = String.format(Locale.ROOT, "completeness: Σ attributions − (f(x) − f(black)) = %.3g, %.2f%% of "
                + "the gap %.4g (%d Gauss–Legendre points)", r.convergenceDelta(i), 100 * r.completenessError(i), gap,
                steps);
        return r.exact(i) ? text : text + String.format(Locale.ROOT, "; above %.0f%%: not exact, raise --ig-steps",
                100 * IntegratedGradients.TOLERANCE);
    }

    /** Occlusion one image at a time: its g² occluded copies are built in memory at once (118 MB at 224 px). */
    private static INDArray occlusion(Vit vit, ImageSource.Batch images, int[] y, Settings s) {
        int p = vit.config().patchSize();
        OcclusionSensitivity o = OcclusionSensitivity.of(p, p, images.preprocessing());
        OcclusionSensitivity batched = new OcclusionSensitivity(p, p, o.fill(), s.batch());
        INDArray[] maps = new INDArray[images.size()];
        for (int i = 0; i < maps.length; i++) {
            INDArray one = images.pixels().get(NDArrayIndex.interval(i, i + 1)).dup('c');
            maps[i] = batched.of(vit, ImageSource.Batch.of(one, images.preprocessing()), y[i]);
        }
        return maps.length == 1 ? maps[0] : Nd4j.concat(0, maps);
    }
}
