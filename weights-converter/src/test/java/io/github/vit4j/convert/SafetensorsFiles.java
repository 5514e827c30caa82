package io.github.vit4j.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Writes safetensors files for tests: well-formed ones from arrays, and deliberately broken ones from parts. */
final class SafetensorsFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsFiles() {
    }

    /** A well-formed F32 file holding {@code tensors} in order, under their map keys. */
    static Path write(Path file, Map<String, INDArray> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            t.putArray("shape");                           // a scalar's is []
            for (long d : e.getValue().shape()) {
                t.withArray("shape").add(d);
            }
            long bytes = 4 * e.getValue().length();
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        ByteBuffer data = ByteBuffer.allocate((int) offset).order(ByteOrder.LITTLE_ENDIAN);
        for (INDArray a : tensors.values()) {
            for (float f : a.dup('c').data().asFloat()) {
                data.putFloat(f);
            }
        }
        return write(file, JSON.writeValueAsString(header), data.array());
    }

    /** A file of the given JSON header and data bytes, with the correct header length. */
    static Path write(Path file, String headerJson, byte[] data) throws IOException {
        byte[] json = headerJson.getBytes(StandardCharsets.UTF_8);
        return write(file, json.length, concat(json, data));
    }

    /** A file whose header length field says {@code headerLength}, followed by {@code rest}. */
    static Path write(Path file, long headerLength, byte[] rest) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(rest);
        Files.write(file, b.array());
        return file;
    }

    /** Little-endian 16-bit values, for F16 and BF16 data. */
    static byte[] shorts(int... values) {
        ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putShort((short) v);
        }
        return b.array();
    }

    /** Little-endian float32 values. */
    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
