/**
 * Causal tracing (ROME): {@link io.github.vit4j.trace.Window} (which layers are restored around layer l),
 * {@link io.github.vit4j.trace.SweepKind} (resid, attn, mlp), {@link io.github.vit4j.trace.Metric} (IE and
 * friends), {@link io.github.vit4j.trace.CausalTrace} (one image: layer sweeps and token sweeps) and
 * {@link io.github.vit4j.trace.DatasetTrace} (many images, in memory or streamed to {@code trace.csv}, resumable
 * and extensible) into {@link io.github.vit4j.trace.TraceRow}s, summarised by
 * {@link io.github.vit4j.trace.TraceSummary}.
 */
package io.github.vit4j.trace;
