package io.github.vit4j.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The rows the embedding step adds to the patches, laid out once per model from its weights: the tokens in front of
 * the patches (CLS, the distillation token, the registers) and the position embedding of every token (the trained
 * grid's resized to the input's when they differ, zero for registers, which Hugging Face inserts after the positions
 * were added). With them the embedding is one line for every family: {@code concat(prefix, embed) + positions}.
 *
 * @param prefix    {@code [P, D]}, the tokens before the patches in order; null when there are none (SigLIP)
 * @param positions {@code [T, D]}, the position embedding added to each token
 */
record TokenTable(INDArray prefix, INDArray positions) {

    static TokenTable of(VitWeights weights) {
        VitConfig c = weights.config();
        Architecture a = c.architecture();
        int d = c.hiddenSize();
        int before = c.prefixTokens() - a.registers();                  // CLS (and distillation): rows of pos_embed
        INDArray pos = weights.posEmbed();                              // [before + G0², D]
        INDArray grid = pos.get(NDArrayIndex.interval(before, c.positionRows()), NDArrayIndex.all()); // [G0², D]
        if (c.positionGrid() != c.gridHeight() || c.positionGrid() != c.gridWidth()) {
            grid = PositionGrid.resize(grid.dup('c'), c.positionGrid(), c.positionGrid(), c.gridHeight(),
                    c.gridWidth(), a.positionAntialias());                // [Gh·Gw, D]
        }
        INDArray positions = Nd4j.zeros(DataType.FLOAT, c.tokens(), d);
        if (before > 0) {
            positions.get(NDArrayIndex.interval(0, before), NDArrayIndex.all())
                    .assign(pos.get(NDArrayIndex.interval(0, before), NDArrayIndex.all()));
        }
        positions.get(NDArrayIndex.interval(c.prefixTokens(), c.tokens()), NDArrayIndex.all()).assign(grid);
        if (c.prefixTokens() == 0) {
            return new TokenTable(null, positions);
        }
        INDArray prefix = Nd4j.zeros(DataType.FLOAT, c.prefixTokens(), d);
        prefix.getRow(0).assign(weights.clsToken());
        if (a.tokens() == Architecture.Tokens.CLS_AND_DISTILLATION) {
            prefix.getRow(1).assign(weights.extras().distToken());
        }
        if (a.registers() > 0) {
            prefix.get(NDArrayIndex.interval(a.firstRegister(), c.prefixTokens()), NDArrayIndex.all())
                    .assign(weights.extras().registers());
        }
        return new TokenTable(prefix, positions);
    }
}
