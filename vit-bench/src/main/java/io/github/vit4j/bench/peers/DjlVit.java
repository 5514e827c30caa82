package io.github.vit4j.bench.peers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The peer: the same pre-LN ViT forward written with DJL NDArray ops on the PyTorch engine (libtorch 2.5.1 CPU
 * kernels), with the same weights. Only the logits are kept; each block's intermediates are freed when its
 * sub-manager closes. PyTorch's fused LayerNorm, {@code linear} (weights {@code [out, in]}) and exact (erf) GELU.
 */
public final class DjlVit implements AutoCloseable {

    private final VitConfig c;
    private final NDManager weights;
    private final NDArray patchW;
    private final NDArray patchB;
    private final NDArray cls;
    private final NDArray pos;
    private final List<NDArray[]> blocks = new ArrayList<>();
    private final NDArray normW;
    private final NDArray normB;
    private final NDArray headW;
    private final NDArray headB;

    public DjlVit(VitWeights w) {
        this.c = w.config();
        this.weights = NDManager.newBaseManager("PyTorch");
        patchW = copy(w.patchEmbed().weight());
        patchB = copy(w.patchEmbed().bias());
        cls = copy(w.clsToken()).reshape(1, 1, c.hiddenSize());
        pos = copy(w.posEmbed()).reshape(1, c.tokens(), c.hiddenSize());
        for (VitWeights.Block b : w.blocks()) {
            blocks.add(new NDArray[] {
                copy(b.norm1().weight()), copy(b.norm1().bias()), copy(b.qkv().weight()), copy(b.qkv().bias()),
                copy(b.proj().weight()), copy(b.proj().bias()), copy(b.norm2().weight()), copy(b.norm2().bias()),
                copy(b.fc1().weight()), copy(b.fc1().bias()), copy(b.fc2().weight()), copy(b.fc2().bias())});
        }
        normW = copy(w.norm().weight());
        normB = copy(w.norm().bias());
        headW = copy(w.head().weight());
        headB = copy(w.head().bias());
    }

    /** A manager for inputs and results; close it (or its arrays) when done. */
    public NDManager newManager() {
        return weights.newSubManager();
    }

    /** Logits {@code [B, C]} of pixels {@code [B, C, H, W]}; the result lives in the pixels' manager. */
    public NDArray logits(NDArray pixels) {
        int b = (int) pixels.getShape().get(0);
        int p = c.patchSize();
        int g = c.gridSize();
        int d = c.hiddenSize();
        NDManager out = pixels.getManager();
        NDArray resid;
        try (NDManager m = out.newSubManager()) {
            NDArray x = pixels.duplicate();
            x.attach(m);
            NDArray patches = x.reshape(b, c.channels(), g, p, g, p).transpose(0, 2, 4, 1, 3, 5)
                    .reshape(b, c.patches(), c.patchDim());
            NDArray embed = Linear.linear(patches, patchW, patchB).singletonOrThrow();
            NDArray tokens = NDArrays.concat(new NDList(cls.broadcast(b, 1, d).duplicate(), embed), 1);
            resid = tokens.add(pos);
            resid.attach(out);
        }
        for (NDArray[] w : blocks) {
            try (NDManager m = out.newSubManager()) {
                resid.attach(m);
                NDArray next = block(resid, w, b);
                next.attach(out);
                resid = next;
            }
        }
        try (NDManager m = out.newSubManager()) {
            resid.attach(m);
            NDArray ln = LayerNorm.layerNorm(resid, new Shape(d), normW, normB, (float) c.layerNormEps()).singletonOrThrow();
            NDArray first = ln.get(new NDIndex(":, 0, :"));
            NDArray logits = Linear.linear(first, headW, headB).singletonOrThrow();
            logits.attach(out);
            return logits;
        }
    }

    private NDArray block(NDArray x, NDArray[] w, int b) {
        int t = c.tokens();
        int d = c.hiddenSize();
        int h = c.heads();
        int dh = c.headDim();
        float eps = (float) c.layerNormEps();
        NDArray ln1 = LayerNorm.layerNorm(x, new Shape(d), w[0], w[1], eps).singletonOrThrow();
        NDArray qkv = Linear.linear(ln1, w[2], w[3]).singletonOrThrow()
                .reshape(b, t, 3, h, dh).transpose(2, 0, 3, 1, 4);                       // [3, B, H, T, d]
        NDArray q = qkv.get(0);
        NDArray k = qkv.get(1);
        NDArray v = qkv.get(2);
        NDArray pattern = q.matMul(k.transpose(0, 1, 3, 2)).muli(1.0 / Math.sqrt(dh)).softmax(-1);
        NDArray z = pattern.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, d);
        NDArray residMid = x.add(Linear.linear(z, w[4], w[5]).singletonOrThrow());
        NDArray ln2 = LayerNorm.layerNorm(residMid, new Shape(d), w[6], w[7], eps).singletonOrThrow();
        NDArray hidden = Activation.gelu(Linear.linear(ln2, w[8], w[9]).singletonOrThrow());
        return residMid.add(Linear.linear(hidden, w[10], w[11]).singletonOrThrow());
    }

    private NDArray copy(INDArray a) {
        return weights.create(a.dup('c').data().asFloat(), new Shape(a.shape()));
    }

    @Override
    public void close() {
        weights.close();
    }

    /** DJL's concat lives on NDArrays; a tiny alias keeps the block readable. */
    private static final class NDArrays {
        static NDArray concat(NDList list, int axis) {
            return ai.djl.ndarray.NDArrays.concat(list, axis);
        }
    }
}
