package io.github.vit4j.image;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Copies ND4J arrays into Java arrays without the view and data-type traps (see ND4J-NOTES, traps 5 and 6). */
final class NdArrays {

    private NdArrays() {
    }

    /** All values of {@code x} in C order (row-major over its shape), as doubles; works on views. */
    static double[] toDoubles(INDArray x) {
        INDArray c = x.castTo(DataType.DOUBLE).dup('c');
        double[] d = c.data().asDouble();
        if (d.length != c.length()) {
            throw new IllegalStateException("ND4J buffer of " + d.length + " values for an array of " + c.length());
        }
        return d;
    }
}
