package io.github.vit4j.convert;

import java.io.IOException;
import java.nio.file.Path;
import org.nd4j.linalg.api.ndarray.INDArray;

/** One tensor of a {@code .safetensors} file, for tests outside this package (Safetensors is package-private). */
public final class SafetensorsTensors {

    private SafetensorsTensors() {
    }

    /** The tensor stored as {@code name}, as float32. */
    public static INDArray load(Path file, String name) throws IOException {
        try (Safetensors s = Safetensors.open(file)) {
            return s.load(name);
        }
    }
}
