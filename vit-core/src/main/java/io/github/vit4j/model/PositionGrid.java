package io.github.vit4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Placeholder until the bicubic resize lands (branch resample). */
final class PositionGrid {

    private PositionGrid() {
    }

    static INDArray resize(INDArray pos, int fromH, int fromW, int toH, int toW, boolean antialias) {
        throw new UnsupportedOperationException("position embeddings cannot be resized yet: " + fromH + "×" + fromW
                + " → " + toH + "×" + toW);
    }
}
