package io.github.vit4j.convert;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes pickle opcodes by hand, for tests: the well-formed state dicts of {@link TorchCheckpoints} and the malicious
 * or corrupt pickles the reader must refuse. Each method appends one opcode (with its argument) and returns this.
 */
public final class PickleBytes {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** {@code PROTO n}: every pickle of torch.save starts with {@code PROTO 2}. */
    public PickleBytes proto(int protocol) {
        return op(0x80).op(protocol);
    }

    /** {@code GLOBAL module\nname\n}: imports a name (the opcode that makes pickles dangerous). */
    public PickleBytes global(String module, String name) {
        op('c');
        byte[] text = (module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8);
        out.writeBytes(text);
        return this;
    }

    /** {@code STACK_GLOBAL}: imports the name whose module and name strings are on the stack (protocol 4). */
    public PickleBytes stackGlobal() {
        return op(0x93);
    }

    public PickleBytes mark() {
        return op('(');
    }

    /** {@code TUPLE}: the items since the mark. */
    public PickleBytes tuple() {
        return op('t');
    }

    public PickleBytes emptyTuple() {
        return op(')');
    }

    public PickleBytes emptyDict() {
        return op('}');
    }

    public PickleBytes emptyList() {
        return op(']');
    }

    /** {@code APPENDS}: the items since the mark onto the list below it. */
    public PickleBytes appends() {
        return op('e');
    }

    /** {@code SETITEMS}: the key-value pairs since the mark into the dict below it. */
    public PickleBytes setItems() {
        return op('u');
    }

    /** {@code REDUCE}: calls the callable under the argument tuple. */
    public PickleBytes reduce() {
        return op('R');
    }

    /** {@code BUILD}: sets the state of the object under the state. */
    public PickleBytes build() {
        return op('b');
    }

    /** {@code BINPERSID}: the persistent id on the stack becomes an object (a storage, in torch.save). */
    public PickleBytes persistentId() {
        return op('Q');
    }

    public PickleBytes bool(boolean value) {
        return op(value ? 0x88 : 0x89);
    }

    public PickleBytes none() {
        return op('N');
    }

    /** {@code BININT} (any int) or {@code LONG1} beyond 32 bits. */
    public PickleBytes integer(long value) {
        if (value == (int) value) {
            op('J');
            for (int i = 0; i < 4; i++) {
                op((int) (value >>> (8 * i)) & 0xff);
            }
            return this;
        }
        op(0x8a).op(8);
        for (int i = 0; i < 8; i++) {
            op((int) (value >>> (8 * i)) & 0xff);
        }
        return this;
    }

    /** {@code LONG1}: an int of up to 255 bytes, given little-endian two's complement (torch.save's magic number). */
    public PickleBytes long1(byte[] littleEndian) {
        return op(0x8a).op(littleEndian.length).raw(littleEndian);
    }

    /** {@code BINUNICODE}: a str. */
    public PickleBytes string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return binUnicodeHeader(b.length).raw(b);
    }

    /** A {@code BINUNICODE} opcode that declares {@code length} bytes, without them: for the corrupt cases. */
    public PickleBytes binUnicodeHeader(long length) {
        op('X');
        for (int i = 0; i < 4; i++) {
            op((int) (length >>> (8 * i)) & 0xff);
        }
        return this;
    }

    /** A tuple of ints: {@code MARK int… TUPLE}. */
    public PickleBytes intTuple(long... values) {
        mark();
        for (long v : values) {
            integer(v);
        }
        return tuple();
    }

    public PickleBytes stop() {
        return op('.');
    }

    /** Any opcode byte. */
    public PickleBytes op(int opcode) {
        out.write(opcode);
        return this;
    }

    public PickleBytes raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }
}
