package io.github.vit4j.convert;

import io.github.vit4j.model.Architecture;
import java.util.ArrayList;
import java.util.List;

/**
 * What the config files and the mapping file say about a model, field by field; a field nobody stated is
 * {@code null} until {@link ConfigInference} reads it off the tensor shapes (all but the heads and the LayerNorm
 * epsilon can be). Mutable, package-private plumbing for {@link ModelLoader}.
 */
final class PartialConfig {

    Integer imageSize;
    Integer patchSize;
    Integer channels;
    Integer hiddenSize;
    Integer layers;
    Integer heads;
    Integer mlpSize;
    Double layerNormEps;
    List<String> labels;
    /** The family's architecture; null for the original ViT. */
    Architecture architecture;
    /**
     * The input size the model runs at, when it differs from {@link #imageSize} (the size its position embeddings
     * were trained for): the processor's crop size.
     */
    Integer inputSize;
    /** The tensor names the config implies (a family's Hugging Face layout); null to detect them from the names. */
    NameLayout layout;
    /**
     * timm's CLIP {@code head} is read as the projection; where the file's {@code head.bias} is not all zeros it is
     * a fine-tuned linear classifier instead: this reading (architecture, layout, labels) replaces it. Null otherwise.
     */
    PartialConfig headBiasedClassifier;
    /** Where the stated fields came from, for messages, e.g. {@code config.json}. */
    final List<String> sources = new ArrayList<>();

    /** Copies every field {@code other} states over this one's (the mapping file overrides config.json). */
    void overrideWith(PartialConfig other) {
        if (other.imageSize != null) {
            imageSize = other.imageSize;
        }
        if (other.patchSize != null) {
            patchSize = other.patchSize;
        }
        if (other.channels != null) {
            channels = other.channels;
        }
        if (other.hiddenSize != null) {
            hiddenSize = other.hiddenSize;
        }
        if (other.layers != null) {
            layers = other.layers;
        }
        if (other.heads != null) {
            heads = other.heads;
        }
        if (other.mlpSize != null) {
            mlpSize = other.mlpSize;
        }
        if (other.layerNormEps != null) {
            layerNormEps = other.layerNormEps;
        }
        if (other.labels != null) {
            labels = other.labels;
        }
        if (other.architecture != null) {
            architecture = other.architecture;
        }
        if (other.inputSize != null) {
            inputSize = other.inputSize;
        }
        if (other.layout != null) {
            layout = other.layout;
        }
        if (other.headBiasedClassifier != null) {
            headBiasedClassifier = other.headBiasedClassifier;
        }
        sources.addAll(other.sources);
    }

    /** Whether any field is stated. */
    boolean isEmpty() {
        return imageSize == null && patchSize == null && channels == null && hiddenSize == null && layers == null
                && heads == null && mlpSize == null && layerNormEps == null && labels == null;
    }

    /** The sources for messages, e.g. {@code "config.json and mapping.properties"}, or "no config file". */
    String describeSources() {
        return sources.isEmpty() ? "no config file" : String.join(" and ", sources);
    }
}
