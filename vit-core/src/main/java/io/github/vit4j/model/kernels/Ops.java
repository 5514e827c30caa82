package io.github.vit4j.model.kernels;

import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.VitWeights;
import java.util.Collection;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The operations of the forward and backward passes: the one seam between the straight-line blocks of
 * {@code ReferenceForward}, {@code Vit} and {@code Backward} and the arithmetic. Three kernel sets compute the same
 * values; {@link KernelSet} names them and is where one is chosen (see this package's description for which file is
 * which). Public only so that the model package can call it; users name a {@link KernelSet}, never an {@code Ops}.
 *
 * <p>Not part of vit4j's API: its methods may change in any release. Called directly, the fast sets' scratch results
 * are overwritten by the next call, and {@link #release} closes the arrays it is given.
 *
 * <p>Contract shared by all: every method that returns a site's array returns a new array and never writes its
 * inputs, so a site array is never written after it is produced. Methods documented as returning <em>scratch</em>
 * ({@link #qkv}, {@link #scores}, {@link #mergeHeads}) may return memory that the next call of the same method on
 * the same thread overwrites (the oneDNN and OpenBLAS sets do; the plain set never does); the forward passes consume
 * each such result before that call.
 */
public abstract sealed class Ops permits PlainOps, CpuOps {

    Ops() {
    }

    /** The whole buffer under {@code a}: its own, or the one it is a view of (two arrays share memory iff equal). */
    public static DataBuffer bufferOf(INDArray a) {
        return a.data().originalDataBuffer() != null ? a.data().originalDataBuffer() : a.data();
    }

    /**
     * The per-head products of {@code a} {@code [B, H, Tq, d]} and {@code b} {@code [B, H, Tk, ·]} written into
     * {@code out} {@code [B, H, Tq, ·]} (C order) and returned: {@code a · bᵀ} (the scores) or {@code a · b} (the mix).
     * One batched ND4J matmul (the plain and OpenBLAS sets' per-head products; oneDNN's are tested against it).
     */
    static INDArray perHead(INDArray a, INDArray b, boolean transposeB, INDArray out) {
        return perHead(a, b, false, transposeB, out);
    }

    /** {@link #perHead} with either operand transposed: {@code aᵀ · b} and {@code a · bᵀ} are the backward's. */
    static INDArray perHead(INDArray a, INDArray b, boolean transposeA, boolean transposeB, INDArray out) {
        long bh = a.size(0) * a.size(1);
        Nd4j.matmul(a.reshape(bh, a.size(2), a.size(3)), b.reshape(bh, b.size(2), b.size(3)),
                out.reshape(bh, out.size(2), out.size(3)), transposeA, transposeB, false);
        return out;
    }

    /** The shape of {@code a · b} per image and head, either transposed: {@code [B, H, rows, cols]}. */
    static long[] perHeadShape(INDArray a, INDArray b, boolean transposeA, boolean transposeB) {
        return new long[] {a.size(0), a.size(1), transposeA ? a.size(3) : a.size(2),
                transposeB ? b.size(2) : b.size(3)};
    }

    /** {@code x · Wᵀ + b} for x {@code [R, in]}, W {@code [out, in]}, b {@code [out]}: a new {@code [R, out]}. */
    public abstract INDArray linear(INDArray x, VitWeights.Linear w);

    /** The fused q|k|v projection {@code x · Wᵀ + b}, {@code [R, 3D]}: scratch. */
    public abstract INDArray qkv(INDArray x, VitWeights.Linear w);

    /**
     * Gives back the memory of arrays a run no longer needs (unkept intermediates, a closed {@code Activations}):
     * recycled for this kernel set's next arrays, or freed. Nothing may use them afterwards.
     */
    public abstract void release(Collection<INDArray> arrays);

    /** {@code a + b} for arrays of one shape (the residual adds): a new array. */
    public abstract INDArray add(INDArray a, INDArray b);

    /**
     * Part {@code part} (0 = q, 1 = k, 2 = v) of a {@code [B·T, 3D]} projection, heads split:
     * a new {@code [B, H, T, d]}.
     */
    public abstract INDArray head(INDArray qkv, int part, int batch, int heads);

    /** Attention scores {@code scale · q · kᵀ} per image and head, q {@code [B, H, Tq, d]}, k {@code [B, H, T, d]}
     * → {@code [B, H, Tq, T]} (Tq = T, or 1 for the CLS row alone): scratch. */
    public abstract INDArray scores(INDArray q, INDArray k, double scale);

    /** Softmax over the last axis of {@code x}, max-subtracted: a new array of x's shape. */
    public abstract INDArray softmax(INDArray x);

    /** {@code pattern · v} per image and head: pattern {@code [B, H, Tq, T]}, v {@code [B, H, T, d]} → a new
     * {@code [B, H, Tq, d]}. */
    public abstract INDArray mix(INDArray pattern, INDArray v);

    /** z {@code [B, H, T, d]} with the heads side by side, {@code [B·T, H·d]}: scratch. */
    public abstract INDArray mergeHeads(INDArray z);

    /** LayerNorm over the last axis with biased variance and {@code eps} inside the square root: a new array. */
    public abstract INDArray layerNorm(INDArray x, VitWeights.LayerNorm p, double eps);

    /** Exact GELU {@code ½ x (1 + erf(x/√2))}, elementwise: a new array. */
    public abstract INDArray gelu(INDArray x);

    /**
     * The definition every kernel set implements: exact GELU {@code x · Φ(x) = ½ x erfc(−x/√2)} in double, with
     * {@link #erfc} accurate to 1.2e-7 relative. The reference the kernels are tested against.
     */
    static double gelu(double x) {
        return 0.5 * x * erfc(-x / Math.sqrt(2.0));
    }

    /**
     * The complementary error function with fractional error below 1.2e-7 everywhere (Numerical Recipes, 2nd ed.,
     * {@code erfcc}: a Chebyshev fit of {@code erfc(z)·exp(z²)} in {@code t = 1/(1 + z/2)}). Relative accuracy in
     * both tails is what makes GELU exact to float32 precision for large negative inputs too.
     */
    static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double ans = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? ans : 2.0 - ans;
    }

    /**
     * Cuts {@code [B, C, H, W]} pixels into {@code [B·N, C·p·p]} rows, one per patch in row-major grid order, each
     * flattened in channel, row, column order (the order of a PyTorch conv weight {@code [D, C, p, p]}): a new array,
     * which the forward pass releases once the patch embedding has read it.
     */
    public abstract INDArray patchify(INDArray pixels, int p);

    /**
     * {@code concat(prefix, embed) + pos}: embed {@code [B, N, D]}, prefix {@code [P, D]} (the tokens before the
     * patches, the same for every image; null for none), pos {@code [P + N, D]} → a new {@code [B, P + N, D]}.
     */
    public abstract INDArray prependAddPos(INDArray embed, INDArray prefix, INDArray pos);

    /**
     * The MLP's activation, elementwise: a new array. Exact GELU runs on this kernel set's {@link #gelu}, the tanh
     * approximation on {@link #geluTanh} and quick GELU on {@link #quickGelu}.
     */
    public final INDArray activation(INDArray x, Architecture.Activation kind) {
        return switch (kind) {
            case GELU -> gelu(x);
            case GELU_TANH -> geluTanh(x);
            case QUICK_GELU -> quickGelu(x);
        };
    }

    /**
     * {@code f(x · Wᵀ + b)}, f the MLP's activation {@code kind}, when the product's output is no site the run
     * observes: a new array. Here the two steps in turn (the product's output released at once); a kernel set whose
     * products can apply f as they write (oneDNN's post-ops) does so.
     */
    public INDArray linearActivation(INDArray x, VitWeights.Linear w, Architecture.Activation kind) {
        INDArray pre = linear(x, w);
        INDArray post = activation(pre, kind);
        release(java.util.List.of(pre));
        return post;
    }

    /** {@code ½x(1 + tanh(√(2/π)(x + 0.044715x³)))}, PyTorch's {@code gelu(approximate="tanh")}: a new array. */
    INDArray geluTanh(INDArray x) {
        INDArray inner = x.mul(x).muli(GELU_TANH_CUBIC).addi(1.0).muli(x).muli(SQRT_2_OVER_PI);     // u
        return Transforms.tanh(inner, false).addi(1.0).muli(x).muli(0.5);                          // ½x(1+tanh u)
    }

    /** {@code x·σ(1.702x)}, OpenAI CLIP's quick GELU: a new array. */
    INDArray quickGelu(INDArray x) {
        return Transforms.sigmoid(x.mul(QUICK_GELU_SCALE), false).muli(x);
    }

    /** {@link #activation}'s derivative times {@code dy}: a new array. */
    public final INDArray activationBackward(INDArray dy, INDArray x, Architecture.Activation kind) {
        return switch (kind) {
            case GELU -> geluBackward(dy, x);
            case GELU_TANH -> {
                INDArray x2 = x.mul(x);
                INDArray t = Transforms.tanh(x2.mul(GELU_TANH_CUBIC).addi(1.0).muli(x).muli(SQRT_2_OVER_PI), false);
                INDArray du = x2.muli(3 * GELU_TANH_CUBIC).addi(1.0).muli(SQRT_2_OVER_PI);             // du/dx
                INDArray sech2 = t.mul(t).rsubi(1.0);                                                  // 1 − tanh²
                yield sech2.muli(du).muli(x).muli(0.5).addi(t.addi(1.0).muli(0.5)).muli(dy);
            }
            case QUICK_GELU -> {
                INDArray sig = Transforms.sigmoid(x.mul(QUICK_GELU_SCALE), false);                    // σ(1.702x)
                INDArray slope = sig.rsub(1.0).muli(sig).muli(x).muli(QUICK_GELU_SCALE);            // 1.702 x σ(1−σ)
                yield slope.addi(sig).muli(dy);
            }
        };
    }

    /** Each row of {@code x} {@code [R, D]} divided by its L2 norm: a new array (the zero-shot head's input). */
    public final INDArray normalizeRows(INDArray x) {
        return x.divColumnVector(x.norm2(true, 1));
    }

    /** {@link #normalizeRows}'s: with {@code y = x / ‖x‖}, {@code dx = (dy − y (dy · y)) / ‖x‖} per row. */
    public final INDArray normalizeRowsBackward(INDArray dy, INDArray x) {
        INDArray norm = x.norm2(true, 1);                                                  // [R, 1]
        INDArray y = x.divColumnVector(norm);                                              // [R, D]
        INDArray dot = dy.mul(y).sum(true, 1);                                             // [R, 1]
        return dy.sub(y.muliColumnVector(dot)).diviColumnVector(norm);
    }

    private static final double SQRT_2_OVER_PI = 0.7978845608028654;
    private static final double GELU_TANH_CUBIC = 0.044715;
    static final double QUICK_GELU_SCALE = 1.702;

    // The backward pass's operations. Each is the derivative of the forward operation it is named after: given the
    // gradient of that operation's output (dy) and what the forward kept, the gradient of its input, a new array.
    // Activation gradients only: no weight gradients.

    /** {@link #linear}'s: {@code dx = dy · W} for dy {@code [R, out]}, W {@code [out, in]}: a new {@code [R, in]}. */
    public abstract INDArray linearBackward(INDArray dy, VitWeights.Linear w);

    /**
     * {@link #layerNorm}'s, from its input x: with {@code x̂ = (x − mean) / √(var + eps)} and {@code g = dy · w},
     * {@code dx = (g − mean(g) − x̂ · mean(g · x̂)) / √(var + eps)} per row: a new array of x's shape.
     */
    public abstract INDArray layerNormBackward(INDArray dy, INDArray x, VitWeights.LayerNorm p, double eps);

    /** {@link #gelu}'s: {@code dy · (Φ(x) + x · φ(x))}, Φ and φ the standard normal's CDF and density: a new array. */
    public abstract INDArray geluBackward(INDArray dy, INDArray x);

    /**
     * The softmax of scaled scores, P = softmax(scale · s), differentiated with respect to the unscaled s = q · kᵀ:
     * {@code scale · P ⊙ (dP − Σⱼ dPⱼ Pⱼ)} per row: a new array.
     */
    public abstract INDArray softmaxBackward(INDArray dPattern, INDArray pattern, double scale);

    /**
     * The per-head product of {@code a} and {@code b} {@code [B, H, ·, ·]}, either transposed (the backward's
     * {@code dScores · k}, {@code dScoresᵀ · q}, {@code dz · vᵀ}, {@code patternᵀ · dz}): a new array.
     */
    public abstract INDArray perHeadProduct(INDArray a, INDArray b, boolean transposeA, boolean transposeB);

    /** {@link #mergeHeads}'s: {@code [B·T, H·d]} → a new {@code [B, H, T, d]}. */
    public abstract INDArray splitHeads(INDArray heads, int batch, int h);

    /** {@link #head}'s for the three parts at once: dq, dk, dv {@code [B, H, T, d]} → a new {@code [B·T, 3D]}. */
    public abstract INDArray mergeQkv(INDArray dq, INDArray dk, INDArray dv);

    /** {@link #patchify}'s: {@code [B·N, C·p·p]} rows → a new {@code [B, C, H, W]} with {@code H = W = size}. */
    public final INDArray unpatchify(INDArray rows, int batch, int channels, int size, int p) {
        return unpatchify(rows, batch, channels, size, size, p);
    }

    /** {@link #patchify}'s: {@code [B·N, C·p·p]} rows → a new {@code [B, C, height, width]}. */
    public abstract INDArray unpatchify(INDArray rows, int batch, int channels, int height, int width, int p);
}
