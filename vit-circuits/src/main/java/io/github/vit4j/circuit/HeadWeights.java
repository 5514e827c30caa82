package io.github.vit4j.circuit;

import io.github.vit4j.model.VitWeights;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One block's attention weights split by head, in the order of the graph's readers ({@code 3h + x}, x = q, k, v):
 * what a head reads from its three inputs and what it writes to the stream.
 *
 * @param read     {@code [3H, d, D]}: row block {@code 3h + x} is head h's rows of W_x (the fused qkv weight's
 *                 rows {@code x·D + h·d ..}), so that head h's x is {@code LN1(in) · read[3h + x]ᵀ + bias[3h + x]}
 * @param readBias {@code [3H, d]}: the same rows of the qkv bias
 * @param write    {@code [H, d, D]}: head h's columns of W_O, transposed: head h's output is
 *                 {@code z[:, h] · write[h]}
 */
record HeadWeights(INDArray read, INDArray readBias, INDArray write) {

    static HeadWeights of(VitWeights.Block block, int heads) {
        INDArray qkv = block.qkv().weight();                                                  // [3D, D]
        long dModel = qkv.size(1);
        long d = dModel / heads;
        INDArray read = qkv.dup('c').reshape(3, heads, d, dModel).permute(1, 0, 2, 3).dup('c')
                .reshape(3L * heads, d, dModel);
        INDArray bias = block.qkv().bias().dup('c').reshape(3, heads, d).permute(1, 0, 2).dup('c')
                .reshape(3L * heads, d);
        INDArray write = block.proj().weight().transpose().dup('c').reshape(heads, d, dModel);  // W_Oᵀ [H·d, D]
        return new HeadWeights(read, bias, write);
    }

    /**
     * Each head's output, {@code [N, H, T, D]} from {@code z} {@code [N, H, T, d]}: {@code z[:, h] · write[h]}.
     */
    INDArray outputs(INDArray z) {
        long n = z.size(0);
        long h = z.size(1);
        long t = z.size(2);
        long d = z.size(3);
        INDArray byHead = z.permute(1, 0, 2, 3).dup('c').reshape(h, n * t, d);                 // [H, N·T, d]
        INDArray out = Nd4j.matmul(byHead, write);                                              // [H, N·T, D]
        INDArray outputs = out.reshape(h, n, t, write.size(2)).permute(1, 0, 2, 3).dup('c');   // [N, H, T, D]
        NodeOutputs.free(byHead);
        NodeOutputs.free(out);
        return outputs;
    }

    /**
     * What each reader of the block reads from its normalised input: {@code ln} {@code [3H, N, T, D]} (reader r's
     * LN1 of its own input) → {@code [3H, N, T, d]}, reader r's q, k or v of its head.
     */
    INDArray project(INDArray ln) {
        long r = ln.size(0);
        long n = ln.size(1);
        long t = ln.size(2);
        long dModel = ln.size(3);
        long d = read.size(1);
        INDArray out = Nd4j.matmul(ln.reshape(r, n * t, dModel), read, false, true, false);// [3H, N·T, d]
        for (int i = 0; i < r; i++) {
            out.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all()).addiRowVector(readBias.getRow(i));
        }
        return out.reshape(r, n, t, d);
    }

    /**
     * The gradients of the readers' normalised inputs: {@code dx} {@code [3H, T, d]} (reader r's gradient of its
     * head's q, k or v) → {@code [3H, T, D]}, {@code dx[r] · read[r]}.
     */
    INDArray readBack(INDArray dx) {
        return Nd4j.matmul(dx, read);
    }
}
