package io.github.vit4j.model.kernels;

import io.github.vit4j.model.VitWeights;
import java.util.Collection;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The plain kernels ({@link KernelSet#PLAIN}): each operation written once with ND4J's own operations (GEMM, batched
 * matmul, ND4J's {@code Erf} for the exact GELU, LayerNorm from ND4J reductions with the model's epsilon, ND4J's
 * softmax op), so that it reads as its definition and runs on any ND4J backend, CUDA included. The reference the other
 * sets are tested against and what {@code ReferenceForward} runs on by default. Nothing here is scratch and nothing
 * is reused: every method returns a new array, and the arrays given back are freed.
 */
final class PlainOps extends Ops {

    static final PlainOps INSTANCE = new PlainOps();
    /** Capacity 0: every buffer given back is freed at once. */
    private static final SiteMemory NO_POOL = new SiteMemory(0);

    private static final double INV_SQRT2 = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;

    private PlainOps() {
    }

    @Override
    public INDArray linear(INDArray x, VitWeights.Linear w) {
        INDArray y = Nd4j.createUninitialized(DataType.FLOAT, new long[] {x.size(0), w.weight().size(0)}, 'c');
        Nd4j.gemm(x, w.weight(), y, false, true, 1.0, 0.0);
        return y.addiRowVector(w.bias());
    }

    @Override
    public INDArray qkv(INDArray x, VitWeights.Linear w) {
        return linear(x, w);
    }

    /** Frees each distinct buffer under {@code arrays} now (on CUDA, device memory too): nothing is pooled here. */
    @Override
    public void release(Collection<INDArray> arrays) {
        NO_POOL.recycleAll(arrays);
    }

    @Override
    public INDArray add(INDArray a, INDArray b) {
        return a.add(b);
    }

    @Override
    public INDArray head(INDArray qkv, int part, int batch, int heads) {
        long t = qkv.size(0) / batch;
        long dh = qkv.size(1) / (3L * heads);
        return qkv.reshape(batch, t, 3, heads, dh)
                .get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(part), NDArrayIndex.all(),
                        NDArrayIndex.all())                                                    // [B, T, H, d]
                .permute(0, 2, 1, 3).dup('c');                                                 // [B, H, T, d]
    }

    @Override
    public INDArray scores(INDArray q, INDArray k, double scale) {
        return perHead(q, k, true, Nd4j.createUninitialized(DataType.FLOAT,
                new long[] {q.size(0), q.size(1), q.size(2), k.size(2)}, 'c')).muli(scale);
    }

    @Override
    public INDArray softmax(INDArray x) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, x.shape(), 'c');
        Nd4j.exec(new SoftMax(x, out, x.rank() - 1));
        return out;
    }

    @Override
    public INDArray mix(INDArray pattern, INDArray v) {
        return perHead(pattern, v, false, Nd4j.createUninitialized(DataType.FLOAT,
                new long[] {v.size(0), v.size(1), pattern.size(2), v.size(3)}, 'c'));
    }

    @Override
    public INDArray mergeHeads(INDArray z) {
        long b = z.size(0);
        long t = z.size(2);
        return z.permute(0, 2, 1, 3).dup('c').reshape(b * t, z.size(1) * z.size(3));
    }

    @Override
    public INDArray layerNorm(INDArray x, VitWeights.LayerNorm p, double eps) {
        long d = x.size(x.rank() - 1);
        INDArray rows = x.dup('c').reshape(x.length() / d, d);                        // [R, D]
        INDArray centered = rows.subiColumnVector(rows.mean(true, 1));               // [R, D]
        INDArray std = Transforms.sqrt(centered.mul(centered).mean(true, 1).addi(eps), false); // [R, 1]
        return centered.diviColumnVector(std).muliRowVector(p.weight()).addiRowVector(p.bias()).reshape(x.shape());
    }

    @Override
    public INDArray gelu(INDArray x) {
        INDArray erf = Nd4j.exec(new Erf(x.mul(INV_SQRT2)));                          // erf(x/√2)
        return erf.addi(1.0).muli(x).muli(0.5);
    }

    @Override
    public INDArray patchify(INDArray pixels, int p) {
        long b = pixels.size(0);
        long c = pixels.size(1);
        long gh = pixels.size(2) / p;
        long gw = pixels.size(3) / p;
        return pixels.reshape(b, c, gh, p, gw, p)                                      // [B, C, gy, y, gx, x]
                .permute(0, 2, 4, 1, 3, 5).dup('c')                                   // [B, gy, gx, C, y, x]
                .reshape(b * gh * gw, c * p * p);
    }

    @Override
    public INDArray prependAddPos(INDArray embed, INDArray prefix, INDArray pos) {
        long b = embed.size(0);
        long d = embed.size(2);
        INDArray tokens = prefix == null ? embed.dup('c') : Nd4j.concat(1,
                prefix.reshape(1, prefix.size(0), d).broadcast(b, prefix.size(0), d), embed);  // [B, T, D]
        return tokens.addi(pos.reshape(1, pos.size(0), d).broadcast(tokens.shape()));
    }

    @Override
    public INDArray linearBackward(INDArray dy, VitWeights.Linear w) {
        INDArray dx = Nd4j.createUninitialized(DataType.FLOAT, new long[] {dy.size(0), w.weight().size(1)}, 'c');
        Nd4j.gemm(dy, w.weight(), dx, false, false, 1.0, 0.0);
        return dx;
    }

    @Override
    public INDArray layerNormBackward(INDArray dy, INDArray x, VitWeights.LayerNorm p, double eps) {
        long d = x.size(x.rank() - 1);
        INDArray rows = x.dup('c').reshape(x.length() / d, d);                         // [R, D]
        INDArray centered = rows.subiColumnVector(rows.mean(true, 1));                 // [R, D]
        INDArray rstd = Transforms.pow(centered.mul(centered).mean(true, 1).addi(eps), -0.5, false); // [R, 1]
        INDArray xHat = centered.muliColumnVector(rstd);                               // [R, D]
        INDArray g = dy.dup('c').reshape(x.length() / d, d).muliRowVector(p.weight());   // [R, D]
        INDArray meanG = g.mean(true, 1);                                              // [R, 1]
        INDArray meanGx = g.mul(xHat).mean(true, 1);                                   // [R, 1]
        return g.subiColumnVector(meanG).subi(xHat.muliColumnVector(meanGx)).muliColumnVector(rstd)
                .reshape(x.shape());
    }

    @Override
    public INDArray geluBackward(INDArray dy, INDArray x) {
        INDArray cdf = Nd4j.exec(new Erf(x.mul(INV_SQRT2))).addi(1.0).muli(0.5);       // Φ(x)
        INDArray pdf = Transforms.exp(x.mul(x).muli(-0.5), false).muli(INV_SQRT_2PI);  // φ(x)
        return pdf.muli(x).addi(cdf).muli(dy);
    }

    @Override
    public INDArray softmaxBackward(INDArray dPattern, INDArray pattern, double scale) {
        int last = pattern.rank() - 1;
        INDArray dot = dPattern.mul(pattern).sum(true, last);                          // [.., 1]
        return dPattern.sub(dot.broadcast(pattern.shape())).muli(pattern).muli(scale);
    }

    @Override
    public INDArray perHeadProduct(INDArray a, INDArray b, boolean transposeA, boolean transposeB) {
        return perHead(a, b, transposeA, transposeB, Nd4j.createUninitialized(DataType.FLOAT,
                perHeadShape(a, b, transposeA, transposeB), 'c'));                 // perHead's reshape copies a view
    }

    @Override
    public INDArray splitHeads(INDArray heads, int batch, int h) {
        long t = heads.size(0) / batch;
        long dh = heads.size(1) / h;
        return heads.reshape(batch, t, h, dh).permute(0, 2, 1, 3).dup('c');          // [B, H, T, d]
    }

    @Override
    public INDArray mergeQkv(INDArray dq, INDArray dk, INDArray dv) {
        long b = dq.size(0);
        long t = dq.size(2);
        long d = dq.size(1) * dq.size(3);
        return Nd4j.concat(1, mergeHeads(dq).reshape(b * t, d), mergeHeads(dk).reshape(b * t, d),
                mergeHeads(dv).reshape(b * t, d));                                     // [B·T, 3D]
    }

    @Override
    public INDArray unpatchify(INDArray rows, int batch, int channels, int height, int width, int p) {
        return rows.reshape(batch, height / p, width / p, channels, p, p)             // [B, gy, gx, C, y, x]
                .permute(0, 3, 1, 4, 2, 5).dup('c')                                    // [B, C, gy, y, gx, x]
                .reshape(batch, channels, height, width);
    }
}
