package io.github.vit4j.onnx;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import onnx.Onnx;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A vit4j model as an ONNX graph (opset {@value #OPSET}): the forward pass of {@code ReferenceForward} written as
 * ONNX operators, with vit4j's weights as initializers, for ONNX Runtime, TensorRT or any other ONNX consumer.
 *
 * <p>Input {@value #INPUT} {@code [batch, C, H, W]} float32, normalised as the model's {@link Preprocessing} says
 * (what {@code Input.normalized} takes); output {@value #OUTPUT} {@code [batch, classes]} (for a model without a
 * classifier its final embedding, as {@code Vit.logits} gives it). The batch size is symbolic. The patch embedding is
 * a {@code Conv} with stride p; the tokens before the patches (CLS, distilled DeiT's distillation token, DINOv2's
 * registers) with their position rows, and the patches' positions (resized to the input's grid where the model was
 * trained for another, as the model itself resizes them), are one constant table; CLIP's LayerNorm before the blocks
 * follows. Each block is {@code LayerNormalization}, one fused q|k|v {@code MatMul}, per-head attention
 * ({@code MatMul}, scale, {@code Softmax}, {@code MatMul}), the output projection, and the MLP with the model's
 * activation: GELU written exactly, {@code 0.5·x·(1 + erf(x/√2))}, its tanh form with {@code Tanh} and {@code Pow}, or
 * quick GELU {@code x·Sigmoid(1.702x)}. The head is the model's ({@link OnnxSteps#head}): the final LayerNorm (on
 * every token, or on the CLS row alone for CLIP), the pooling (CLS row, DINOv2's concat(CLS, patch mean), SigLIP's
 * attention pooling with its probe as a constant, distilled DeiT's two heads averaged), CLIP's bias-free projection
 * and the classifier (a zero-shot head normalising its input with {@code ReduceL2}), or none. The class names and the preprocessing travel in the model's metadata:
 * {@value #LABELS}, the class names in index order as a JSON array of strings in ASCII (any name, line breaks,
 * commas, quotes and emoji included, reads back exactly: {@code json.loads(value)} in Python), and
 * {@value #PREPROCESSING}.
 *
 * <p>The protobuf is written with the ONNX message classes that ND4J ships ({@code onnx.Onnx} in nd4j-api), so
 * exporting adds no dependency but Jackson (for the labels). One protobuf message holds at most 2 GiB: larger models (ViT-H and up) are
 * refused, as ONNX's external-data form is not written.
 */
public final class OnnxExport {

    /** The ONNX operator set the graph uses ({@code LayerNormalization} needs 17). */
    public static final int OPSET = 17;
    /** The graph's input: normalised pixels {@code [batch, C, H, W]}. */
    public static final String INPUT = "pixels";
    /** The graph's output: {@code [batch, classes]}. */
    public static final String OUTPUT = "logits";
    /** The metadata key of the class names: a JSON array of strings, in class index order. */
    public static final String LABELS = "vit4j.labels";
    /** The metadata key of the preprocessing: {@code size=…;rescale=…;mean=a,b,c;std=a,b,c[;roundResized=true]}. */
    public static final String PREPROCESSING = "vit4j.preprocessing";

    /** ONNX IR version 8, the one that goes with opset 17 (onnx 1.12). */
    private static final long IR_VERSION = 8;
    private static final long MAX_BYTES = Integer.MAX_VALUE;

    private OnnxExport() {
    }

    /** Writes the model to {@code file} (atomically: a complete file or none). */
    public static void write(Pretrained model, Path file) throws IOException {
        byte[] bytes = toBytes(model);
        AtomicFile.write(file, out -> out.write(bytes));
    }

    /**
     * The model as ONNX bytes; the same model always gives the same bytes.
     *
     * @throws IllegalArgumentException when the weights exceed the 2 GiB a single ONNX file without external data
     *                                  can hold
     */
    public static byte[] toBytes(Pretrained model) {
        long weightBytes = model.weights().tensors().values().stream().mapToLong(INDArray::length).sum() * 4L;
        if (weightBytes > MAX_BYTES - (64L << 20)) {
            throw new IllegalArgumentException("the model's weights take " + weightBytes + " bytes, more than the 2 GiB"
                    + " one ONNX file without external data holds; OnnxExport writes models up to about ViT-L");
        }
        return modelProto(model).toByteArray();
    }

    static Onnx.ModelProto modelProto(Pretrained model) {
        VitConfig c = model.config();
        Onnx.ModelProto.Builder m = Onnx.ModelProto.newBuilder().setIrVersion(IR_VERSION)
                .setProducerName("vit4j").setModelVersion(1)
                .setDocString("Vision Transformer exported by vit4j: " + c)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(forward(model.weights()));
        m.addMetadataProps(entry(LABELS, json(c.labels())));
        m.addMetadataProps(entry(PREPROCESSING, describe(model.preprocessing())));
        return m.build();
    }

    /** The forward pass, line by line as {@code ReferenceForward} reads; shapes in the comments. */
    private static Onnx.GraphProto forward(VitWeights w) {
        VitConfig c = w.config();
        Architecture a = c.architecture();
        int d = c.hiddenSize();
        int p = c.patchSize();
        Graph g = new Graph("vit");
        g.io(true, INPUT, c.channels(), c.imageHeight(), c.imageWidth());                        // [B, C, H, W]

        // patch embedding: a stride-p convolution, flattened to tokens; then the tokens before the patches in front
        // and the positions added (the table of both, as the model lays it out: VitWeights.tokenTable)
        String conv = g.node("Conv", "patch_embed", List.of(INPUT,
                        g.weight("patch_embed.weight", w.patchEmbed().weight().reshape(d, c.channels(), p, p)),
                        g.weight("patch_embed.bias", w.patchEmbed().bias())),
                Graph.ints("kernel_shape", p, p), Graph.ints("strides", p, p));                 // [B, D, g, g]
        String flat = g.node("Reshape", "patch_embed.flat", List.of(conv, g.int64s("shape.BD_", 0, d, -1)));
        String embed = g.node("Transpose", "embed", List.of(flat), Graph.ints("perm", 0, 2, 1)); // [B, N, D]
        String resid = OnnxSteps.tokens(g, w, embed);                                             // [B, T, D]
        if (a.embedNorm()) {
            resid = layerNorm(g, "embed_ln", resid, w.extras().embedNorm(), c);                  // [B, T, D]
        }

        String scale = g.scalar("attn_scale", (float) (1.0 / Math.sqrt(c.headDim())));
        for (int l = 0; l < c.layers(); l++) {
            VitWeights.Block b = w.blocks().get(l);
            String pre = "blocks." + l + ".";
            // attention: x + proj(attn(qkv(ln1(x))))
            String ln1 = layerNorm(g, pre + "ln1", resid, b.norm1(), c);                        // [B, T, D]
            String qkv = linear(g, pre + "qkv", ln1, b.qkv());                                   // [B, T, 3D]
            String heads = g.node("Transpose", pre + "qkv.heads", List.of(g.node("Reshape", pre + "qkv.split",
                            List.of(qkv, g.int64s(pre + "shape.qkv", 0, 0, 3, c.heads(), c.headDim())))),
                    Graph.ints("perm", 2, 0, 3, 1, 4));                                          // [3, B, H, T, d]
            String q = g.node("Gather", pre + "q", List.of(heads, g.int64(pre + "i0", 0)), Graph.integer("axis", 0));
            String k = g.node("Gather", pre + "k", List.of(heads, g.int64(pre + "i1", 1)), Graph.integer("axis", 0));
            String v = g.node("Gather", pre + "v", List.of(heads, g.int64(pre + "i2", 2)), Graph.integer("axis", 0));
            String z = OnnxSteps.attend(g, pre, q, k, v, scale);                                 // [B, H, T, d]
            String merged = g.node("Reshape", pre + "z.merged", List.of(
                    g.node("Transpose", pre + "z.tokens", List.of(z), Graph.ints("perm", 0, 2, 1, 3)),
                    g.int64s(pre + "shape.BTD", 0, 0, d)));                                      // [B, T, D]
            String attnOut = linear(g, pre + "attn_out", merged, b.proj());                      // [B, T, D]
            String residMid = g.node("Add", pre + "resid_mid", List.of(resid, attnOut));         // [B, T, D]
            // MLP: x + fc2(act(fc1(ln2(x))))
            String ln2 = layerNorm(g, pre + "ln2", residMid, b.norm2(), c);                      // [B, T, D]
            String mlpPre = linear(g, pre + "mlp_pre", ln2, b.fc1());                            // [B, T, M]
            String mlpPost = OnnxSteps.activation(g, pre + "mlp_post", mlpPre, a.activation());  // [B, T, M]
            String mlpOut = linear(g, pre + "mlp_out", mlpPost, b.fc2());                        // [B, T, D]
            resid = g.node("Add", pre + "resid_post", List.of(residMid, mlpOut));                // [B, T, D]
        }
        OnnxSteps.head(g, w, resid, OUTPUT);                                                      // [B, classes]
        g.io(false, OUTPUT, c.classes());
        return g.build();
    }

    static String layerNorm(Graph g, String name, String x, VitWeights.LayerNorm n, VitConfig c) {
        return g.node("LayerNormalization", name, List.of(x, g.weight(name + ".weight", n.weight()),
                        g.weight(name + ".bias", n.bias())),
                Graph.integer("axis", -1), Graph.real("epsilon", (float) c.layerNormEps()));
    }

    /** x·Wᵀ + b, with Wᵀ stored as the initializer so that ONNX's MatMul needs no transpose. */
    static String linear(Graph g, String name, String x, VitWeights.Linear lin) {
        String xw = g.node("MatMul", name + ".matmul", List.of(x,
                g.weight(name + ".weight_t", lin.weight().transpose())));
        return g.node("Add", name, List.of(xw, g.weight(name + ".bias", lin.bias())));
    }

    private static Onnx.StringStringEntryProto entry(String key, String value) {
        return Onnx.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    /**
     * {@code labels} as a JSON array of strings: a label's line breaks, commas and quotes cannot shift the rest. All
     * of it ASCII (other characters as JSON escapes): ONNX Runtime's Java API garbles 4-byte UTF-8 (an emoji) in
     * metadata.
     */
    private static String json(List<String> labels) {
        try {
            return JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build().writeValueAsString(labels);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e); // a list of strings always serialises
        }
    }

    private static String describe(Preprocessing p) {
        return "size=" + p.size() + ";rescale=" + p.rescaleFactor() + ";mean=" + join(p.mean()) + ";std="
                + join(p.std()) + p.resizing().map(r -> ";resizing=" + r).orElse("")
                + (p.roundResized() ? ";roundResized=true" : "");
    }

    private static String join(double[] values) {
        return Arrays.stream(values).mapToObj(Double::toString).collect(Collectors.joining(","));
    }
}
