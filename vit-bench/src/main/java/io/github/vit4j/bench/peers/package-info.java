/**
 * The peer a JVM user would pick instead: the same ViT-B/16 forward written with DJL's NDArray ops on PyTorch's CPU
 * kernels ({@code PeerBench}). Built only in the Maven profile {@code peers}.
 */
package io.github.vit4j.bench.peers;
