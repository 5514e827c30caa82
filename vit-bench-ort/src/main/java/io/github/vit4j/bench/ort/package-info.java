/**
 * The fair peer of vit4j's forward benchmarks: ONNX Runtime alone in its JVM ({@link io.github.vit4j.bench.ort.OrtBench}
 * under JMH, {@link io.github.vit4j.bench.ort.PlainTiming} as a plain loop), on the ONNX file {@code vit export --onnx}
 * writes. Nothing of vit4j is on this module's class path, so nothing of vit4j's (ND4J's, oneDNN's, OpenBLAS's
 * native thread pools, its JVM flags) can slow the peer down.
 */
package io.github.vit4j.bench.ort;
