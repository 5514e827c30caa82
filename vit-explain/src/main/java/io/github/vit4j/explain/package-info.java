/**
 * Seeing what the model sees: each method a small class over {@link io.github.vit4j.model.Vit}'s sites and
 * gradients, batch first. Forward-only: {@link io.github.vit4j.explain.AttentionMaps},
 * {@link io.github.vit4j.explain.AttentionRollout}, {@link io.github.vit4j.explain.LogitLens},
 * {@link io.github.vit4j.explain.OcclusionSensitivity}. Gradients with respect to the [0, 1] pixels the model sees:
 * {@link io.github.vit4j.explain.Saliency}, {@link io.github.vit4j.explain.GradientTimesInput},
 * {@link io.github.vit4j.explain.SmoothGrad}, {@link io.github.vit4j.explain.IntegratedGradients}; with respect to a
 * site: {@link io.github.vit4j.explain.GradCam}. Relevance: Chefer et al.'s generic rule
 * ({@link io.github.vit4j.explain.Chefer}) and LRP attribution ({@link io.github.vit4j.explain.CheferLrp}, its rules in
 * {@code Lrp}), and {@link io.github.vit4j.explain.AttnLrp} (its rules in {@code AttnLrpRules}). Adversarial
 * examples: {@link io.github.vit4j.explain.Attack}, {@link io.github.vit4j.explain.RobustnessCurve}. Whether a map depends on the model at all:
 * {@link io.github.vit4j.explain.SanityCheck}. Whether a map ranks what the model uses: deletion and insertion curves
 * ({@link io.github.vit4j.explain.Faithfulness}) and ROAD ({@link io.github.vit4j.explain.Road}). Weights and activations: {@link io.github.vit4j.explain.PatchFilters}
 * (with {@link io.github.vit4j.explain.KMeans} and {@link io.github.vit4j.explain.Pictures}),
 * {@link io.github.vit4j.explain.ActivationMaps}, {@link io.github.vit4j.explain.DatasetExamples},
 * {@link io.github.vit4j.explain.ClsStates} mapped by {@link io.github.vit4j.explain.Pca} and
 * {@link io.github.vit4j.explain.Tsne}. What a unit wants to see: {@link io.github.vit4j.explain.FeatureVisualization}.
 * Nothing here writes a site or the caller's arrays.
 */
package io.github.vit4j.explain;
