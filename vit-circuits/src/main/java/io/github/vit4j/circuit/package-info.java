/**
 * Circuits: the graph of a ViT's nodes (input, heads, MLPs, output) and edges
 * ({@link io.github.vit4j.circuit.CircuitGraph}, {@link io.github.vit4j.circuit.Node},
 * {@link io.github.vit4j.circuit.Edge}); edge scores estimated by edge attribution patching, EAP and EAP-IG
 * ({@link io.github.vit4j.circuit.EdgeAttribution}, {@link io.github.vit4j.circuit.EdgeScores}); exact edge scores
 * and exact patching of edge sets ({@link io.github.vit4j.circuit.ExactEdges}); circuit evaluation and
 * faithfulness curves ({@link io.github.vit4j.circuit.Circuits}, {@link io.github.vit4j.circuit.FaithfulnessCurve});
 * a whole study over a source's images ({@link io.github.vit4j.circuit.CircuitStudy}).
 */
package io.github.vit4j.circuit;
