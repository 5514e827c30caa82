package io.github.vit4j.attribution;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Direct logit attribution: each part of the residual stream ({@link Component}: the input, every head, every
 * layer's attention bias, every MLP) carried to the output along the linear path of the final LayerNorm, the pooling,
 * the projection and the head, with the LayerNorm's scale taken from the run. That is TransformerLens's
 * {@code cache.apply_ln_to_stack(components, layer=-1, pos_slice=…)} followed by the unembedding: every part is
 * centred (LayerNorm's mean is linear), divided by the run's {@code σ_t = √(var(resid_t) + ε)} of the token it sits
 * at, multiplied by the LayerNorm's weight γ, and read by the head; LayerNorm's bias β and the head's bias are one
 * more term of their own ({@link LogitAttribution#bias()}). Since everything after the division is linear,
 *
 * <pre>
 *   Σ_components direct[c][k] + bias[c] = logits[c]     exactly, up to float rounding
 * </pre>
 *
 * for every class c of the original ViT/DeiT (read at CLS), distilled DeiT (½ of each head, at CLS and the
 * distillation token), DINOv2's classifier (CLS and the mean of the patches), CLIP's projection (an image tower's
 * output: every embedding dimension is a "class") and a cosine head (zero-shot classes: its 1 / ‖embedding‖ is, like
 * σ, taken from the run). SigLIP's attention pooling is refused: a softmax and an MLP stand between the stream and
 * the output, so no split of the stream sums to it.
 *
 * <p>A head's part is {@code z_h · W_Oʰ}, z of head h (the run's {@code z} site) times head h's columns of the output
 * projection's weight ({@code [D, D]}, {@code y = x·Wᵀ + b}); the bias b_O of a layer belongs to no head. The run must
 * be unpatched in the stream: the parts are checked to add up to each {@code attn_out} and to the last
 * {@code resid_post} along every direction read, and a run that breaks this (a substituted stream site) is refused.
 */
public final class DirectLogitAttribution {

    private final VitWeights weights;
    private final VitConfig config;
    private final Readout readout;
    private final List<Component> components;

    private DirectLogitAttribution(VitWeights weights) {
        this.weights = weights;
        this.config = weights.config();
        this.readout = Readout.of(weights);
        List<Component> parts = new ArrayList<>();
        parts.add(Component.input());
        for (int l = 0; l < config.layers(); l++) {
            for (int h = 0; h < config.heads(); h++) {
                parts.add(Component.head(l, h));
            }
            parts.add(Component.attnBias(l));
            parts.add(Component.mlp(l));
        }
        this.components = List.copyOf(parts);
    }

    /**
     * Direct logit attribution for the model of {@code weights}.
     *
     * @throws IllegalArgumentException for a model with attention pooling (SigLIP), saying why
     */
    public static DirectLogitAttribution of(VitWeights weights) {
        return new DirectLogitAttribution(weights);
    }

    /** The parts the output is split into, in order: input, then per layer its heads, attention bias and MLP. */
    public List<Component> components() {
        return components;
    }

    /**
     * What a run must keep for {@link #attribute(Activations, int...)}: {@code resid_pre} of block 0, every layer's
     * {@code z}, {@code pattern}, {@code v}, {@code attn_out} and {@code mlp_out}, the last {@code resid_post} (and
     * for a cosine head the embedding it normalises).
     */
    public Keep keep() {
        Set<Site> sites = new HashSet<>(Readout.scaleSites(config));
        sites.add(Site.residPre(0));
        sites.add(Site.residPost(config.layers() - 1));
        return Keep.kinds(Site.Kind.Z, Site.Kind.PATTERN, Site.Kind.V, Site.Kind.ATTN_OUT, Site.Kind.MLP_OUT)
                .and(new Keep(Set.of(), sites));
    }

    /**
     * Runs {@code vit} on {@code input} keeping {@link #keep()} and attributes its output.
     *
     * @throws IllegalArgumentException for a model other than this one's, or a class out of range
     */
    public LogitAttribution attribute(Vit vit, Input input, int... classes) {
        if (!vit.config().equals(config)) {
            throw new IllegalArgumentException("this DirectLogitAttribution was made for " + config
                    + ", the model given is " + vit.config() + "; make one with"
                    + " DirectLogitAttribution.of(vit.weights())");
        }
        try (Activations run = vit.run(input, keep())) {
            return attribute(run, classes);
        }
    }

    /**
     * The attribution of a run's output to classes {@code classes} (indices into the logits; for a model without
     * classifier, dimensions of its embedding). The run must start at layer 0 and keep {@link #keep()}.
     *
     * @throws IllegalArgumentException for no class or one out of range, a run that started later or did not keep
     *                                  what is needed, or one whose stream is not the sum of its parts (patched)
     */
    public LogitAttribution attribute(Activations run, int... classes) {
        checkClasses(classes);
        if (run.startLayer() != 0) {
            throw new IllegalArgumentException("direct logit attribution splits the whole stream from block 0's"
                    + " resid_pre, but the run started at layer " + run.startLayer() + "; attribute a run from pixels"
                    + " (Input.pixels) or from Input.residPre(0, …)");
        }
        return new AttributionPass(weights, readout, components, run, classes.clone()).result();
    }

    private void checkClasses(int[] classes) {
        if (classes.length == 0) {
            throw new IllegalArgumentException("name at least one class to attribute, e.g. attribute(run, 3); the"
                    + " model has " + config.classes() + " outputs");
        }
        for (int c : classes) {
            if (c < 0 || c >= config.classes()) {
                throw new IllegalArgumentException("class " + c + " is outside the model's " + config.classes()
                        + " outputs (0.." + (config.classes() - 1) + ")");
            }
        }
    }
}
