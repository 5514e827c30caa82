/**
 * JMH benchmarks, the evidence for every speed claim: {@code ForwardBench} (one forward, every site kept),
 * {@code BackwardBench} (one backward from the logits against the forward it needs),
 * {@code RestoreCostBench} (patch at layer l and run to the logits), {@code TraceBench} (one image's full trace,
 * engine against naive), {@code SubstituteBench} (swapping a site array against copying it), {@code ExplainBench}
 * (vit-explain's methods against a forward), {@code CircuitBench} (EAP against a forward and backward, exact edge
 * scores against forwards). Results and how to run them: docs/performance.md.
 */
package io.github.vit4j.bench;
