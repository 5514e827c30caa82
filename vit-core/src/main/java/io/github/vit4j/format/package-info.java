/**
 * Files: {@link io.github.vit4j.format.VitFile}, vit4j's native weights file (config, tensor table and 64-byte
 * aligned float32 tensors with a checksum each, memory-mapped without copying), and
 * {@link io.github.vit4j.format.Npy}, NumPy's {@code .npy}/{@code .npz} for reference arrays and outputs.
 */
package io.github.vit4j.format;
