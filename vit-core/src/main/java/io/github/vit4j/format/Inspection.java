package io.github.vit4j.format;

import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.VitConfig;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@code .vit} file says about itself and whether its contents hold up, as {@code vit inspect} shows it:
 * the header's config and preprocessing, the tensor table, every tensor's checksum verified, and every problem
 * found (the same problems {@link VitFile#read} would fail on).
 *
 * @param file           the file inspected
 * @param fileSize       its size in bytes
 * @param formatVersion  the format version of its magic (1)
 * @param headerLength   the header's length in bytes (the u64 after the magic)
 * @param config         the architecture from the header
 * @param preprocessing  the pixel pipeline from the header
 * @param tensors        the tensor table, in file order
 * @param checksumOk     per tensor name, whether the bytes in the file match the stored CRC-32C (false where the
 *                       tensor's region lies outside the file)
 * @param problems       every inconsistency found, each a complete sentence naming the file and tensor; empty
 *                       when the file loads
 */
public record Inspection(Path file, long fileSize, int formatVersion, long headerLength, VitConfig config,
                         Preprocessing preprocessing, List<TensorEntry> tensors, Map<String, Boolean> checksumOk,
                         List<String> problems) {

    public Inspection {
        tensors = List.copyOf(tensors);
        checksumOk = Collections.unmodifiableMap(new LinkedHashMap<>(checksumOk));
        problems = List.copyOf(problems);
    }

    /** Whether {@link VitFile#read} would load the file: no problems, every checksum right. */
    public boolean ok() {
        return problems.isEmpty() && !checksumOk.containsValue(false);
    }

    /** Total number of parameters (float32 elements) in the table. */
    public long parameterCount() {
        return tensors.stream().mapToLong(TensorEntry::elements).filter(n -> n > 0).sum();
    }
}
