package io.github.vit4j.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import onnx.Onnx;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.protobuf.ByteString;

/**
 * An ONNX graph under construction: nodes in the order added (ONNX wants them topologically sorted, and a forward
 * pass written top to bottom is), initializers for weights and constants, each value named by the caller.
 */
final class Graph {

    private final Onnx.GraphProto.Builder graph = Onnx.GraphProto.newBuilder();
    private final Set<String> shared = new HashSet<>();

    Graph(String name) {
        graph.setName(name);
    }

    /** A float32 initializer holding {@code array} in C order, with the array's shape. */
    String weight(String name, INDArray array) {
        INDArray c = array.castTo(DataType.FLOAT).dup('c');
        int n = Math.toIntExact(c.length());
        FloatBuffer values = c.data().asNioFloat().duplicate();            // the array's memory: no Java copy
        values.position((int) c.offset()).limit((int) c.offset() + n);
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(n, Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        graph.addInitializer(tensor(name, Onnx.TensorProto.DataType.FLOAT).addAllDims(
                Arrays.stream(c.shape()).boxed().toList()).setRawData(ByteString.copyFrom(bytes)));
        return name;
    }

    /** A float32 scalar (rank 0) initializer. */
    String scalar(String name, float value) {
        graph.addInitializer(tensor(name, Onnx.TensorProto.DataType.FLOAT).addFloatData(value));
        return name;
    }

    /** A float32 scalar initializer read by many nodes: added at its first use, its name returned at every use. */
    String shared(String name, float value) {
        return shared.add(name) ? scalar(name, value) : name;
    }

    /** A 1-D int64 initializer (shapes, axes, perms). */
    String int64s(String name, long... values) {
        graph.addInitializer(tensor(name, Onnx.TensorProto.DataType.INT64).addDims(values.length)
                .addAllInt64Data(Arrays.stream(values).boxed().toList()));
        return name;
    }

    /** An int64 scalar (rank 0) initializer: an index that removes its axis in {@code Gather}. */
    String int64(String name, long value) {
        graph.addInitializer(tensor(name, Onnx.TensorProto.DataType.INT64).addInt64Data(value));
        return name;
    }

    private static Onnx.TensorProto.Builder tensor(String name, Onnx.TensorProto.DataType type) {
        return Onnx.TensorProto.newBuilder().setName(name).setDataType(type.getNumber());
    }

    /** Adds the node {@code op(inputs) → output} and returns {@code output}. */
    String node(String op, String output, List<String> inputs, Onnx.AttributeProto... attributes) {
        Onnx.NodeProto.Builder n = Onnx.NodeProto.newBuilder().setOpType(op).setName(output).addOutput(output)
                .addAllInput(inputs);
        for (Onnx.AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return output;
    }

    static Onnx.AttributeProto ints(String name, long... values) {
        Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name)
                .setType(Onnx.AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    static Onnx.AttributeProto integer(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT)
                .setI(value).build();
    }

    static Onnx.AttributeProto real(String name, float value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT)
                .setF(value).build();
    }

    /** Declares a float32 graph input or output whose first dimension is the symbolic batch size. */
    void io(boolean input, String name, long... rest) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder()
                .addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        for (long d : rest) {
            shape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        Onnx.ValueInfoProto value = Onnx.ValueInfoProto.newBuilder().setName(name)
                .setType(Onnx.TypeProto.newBuilder().setTensorType(Onnx.TypeProto.Tensor.newBuilder()
                        .setElemType(Onnx.TensorProto.DataType.FLOAT.getNumber()).setShape(shape)))
                .build();
        if (input) {
            graph.addInput(value);
        } else {
            graph.addOutput(value);
        }
    }

    Onnx.GraphProto build() {
        return graph.build();
    }
}
