package io.github.vit4j.convert;

import io.github.vit4j.format.ModelFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An unpickler for what {@code torch.save} writes, which executes nothing: a pickle is a program for a stack
 * machine whose {@code GLOBAL} / {@code STACK_GLOBAL} opcodes import any Python name and whose {@code REDUCE} calls
 * it. Here the stack machine is run on plain data only: every global, call, {@code BUILD} and persistent id is handed
 * to {@link TorchGlobals}, which accepts the few names a state dict of tensors needs and refuses anything else at the
 * opcode that names it, before any call.
 *
 * <p>Values: Python {@code None} → {@link None#NONE}, bool → {@link Boolean}, int → {@link Long}
 * (or {@link BigInteger} beyond 64 bits), float → {@link Double}, str → {@link String}, bytes → {@code byte[]},
 * tuple → unmodifiable {@link List}, list → {@link ArrayList}, dict → {@link LinkedHashMap}. Only the binary opcodes
 * of pickle protocols 2 to 5 are read (torch.save writes protocol 2); every length is checked against the bytes
 * that remain and against {@link #MAX_ITEM_BYTES} before anything is allocated, and a pickle is bounded by
 * {@link #MAX_PICKLE_BYTES} and {@link #MAX_OPCODES}.
 */
final class TorchPickle {

    /** Strings and byte strings longer than this are refused (a state dict's are names, a few bytes long). */
    static final long MAX_ITEM_BYTES = 64L << 20;

    /** A pickle longer than this is refused (a ViT-B/16's state dict pickle is ~30 KB). */
    static final long MAX_PICKLE_BYTES = 64L << 20;

    /**
     * A pickle of more opcodes than this is refused: each opcode makes at most one value, so this bounds the memory a
     * hostile pickle can take (a state dict needs ~20 per tensor; 1024 ViT blocks are ~16,000 tensors).
     */
    static final long MAX_OPCODES = 1L << 20;

    /** Python's {@code None}. */
    enum None { NONE }

    private final InputStream in;
    private final long end;
    private final String where;
    private long position;
    private long pickleEnd;
    private final TorchGlobals globals;

    /**
     * @param in        the pickle bytes (possibly followed by more)
     * @param available how many bytes {@code in} holds at most: no length beyond it is believed
     * @param where     the file (and part of it) for messages
     */
    TorchPickle(InputStream in, long available, String where) {
        this.in = in;
        this.end = available;
        this.where = where;
        this.globals = new TorchGlobals(where);
    }

    /** Bytes consumed so far. */
    long position() {
        return position;
    }

    /** Every storage the pickles read so far referred to, by key. */
    Map<String, TorchGlobals.StorageRef> storages() {
        return globals.storages();
    }

    /**
     * Reads one pickle, up to and including its {@code STOP}.
     *
     * @throws ModelFormatException naming the file, the byte and the global or opcode refused, for anything that is
     *                              not plain data, a tensor or a storage
     */
    Object next() throws IOException {
        List<Object> stack = new ArrayList<>();
        Deque<Integer> marks = new ArrayDeque<>();
        Map<Long, Object> memo = new HashMap<>();
        pickleEnd = Math.min(end, position + MAX_PICKLE_BYTES);
        for (long opcodes = 1; ; opcodes++) {
            long at = position;
            int op = u8();
            if (opcodes > MAX_OPCODES) {
                throw error(at, "the pickle runs past " + MAX_OPCODES + " opcodes, more than a state dict of a ViT"
                        + " needs; the file is corrupt or not a state dict");
            }
            switch (op) {
                case 0x80 -> { // PROTO
                    int protocol = u8();
                    if (protocol < 2 || protocol > 5) {
                        throw error(at, "pickle protocol " + protocol + " is not read (torch.save writes 2; 2 to 5"
                                + " are read)");
                    }
                }
                case 0x95 -> bytes(8, "FRAME length"); // FRAME: a hint for buffering only
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw error(at, "STOP with " + stack.size() + " values on the stack; the pickle is corrupt");
                    }
                    return stack.get(0);
                }
                case '(' -> marks.push(stack.size()); // MARK
                case '0' -> pop(stack, at); // POP
                case '1' -> popMark(stack, marks, at); // POP_MARK
                case '2' -> stack.add(peek(stack, at)); // DUP
                case 'N' -> stack.add(None.NONE);
                case 0x88 -> stack.add(Boolean.TRUE); // NEWTRUE
                case 0x89 -> stack.add(Boolean.FALSE); // NEWFALSE
                case 'K' -> stack.add((long) u8()); // BININT1
                case 'M' -> stack.add(littleEndian(2)); // BININT2
                case 'J' -> stack.add((long) (int) littleEndian(4)); // BININT (signed)
                case 0x8a -> stack.add(longValue(bytes(u8(), "LONG1"))); // LONG1
                case 0x8b -> stack.add(longValue(bytes(signedLength(4, at), "LONG4"))); // LONG4
                case 'G' -> stack.add(Double.longBitsToDouble(bigEndianLong())); // BINFLOAT
                case 'X' -> stack.add(utf8(bytes(littleEndian(4), "BINUNICODE string"))); // BINUNICODE
                case 0x8c -> stack.add(utf8(bytes(u8(), "SHORT_BINUNICODE string"))); // SHORT_BINUNICODE
                case 0x8d -> stack.add(utf8(bytes(littleEndian(8), "BINUNICODE8 string"))); // BINUNICODE8
                case 'T' -> stack.add(latin1(bytes(signedLength(4, at), "BINSTRING"))); // BINSTRING
                case 'U' -> stack.add(latin1(bytes(u8(), "SHORT_BINSTRING"))); // SHORT_BINSTRING
                case 'B' -> stack.add(bytes(littleEndian(4), "BINBYTES")); // BINBYTES
                case 'C' -> stack.add(bytes(u8(), "SHORT_BINBYTES")); // SHORT_BINBYTES
                case 0x8e, 0x96 -> stack.add(bytes(littleEndian(8), "BINBYTES8")); // BINBYTES8, BYTEARRAY8
                case 0x98 -> { // READONLY_BUFFER: no effect here
                }
                case ')' -> stack.add(List.of()); // EMPTY_TUPLE
                case 't' -> stack.add(Collections.unmodifiableList(popMark(stack, marks, at))); // TUPLE
                case 0x85, 0x86, 0x87 -> { // TUPLE1, TUPLE2, TUPLE3
                    int n = op - 0x84;
                    List<Object> items = popN(stack, n, at);
                    stack.add(Collections.unmodifiableList(items));
                }
                case ']' -> stack.add(new ArrayList<>()); // EMPTY_LIST
                case 'l' -> stack.add(new ArrayList<>(popMark(stack, marks, at))); // LIST
                case 'a' -> { // APPEND
                    Object value = pop(stack, at);
                    list(peek(stack, at), at, "APPEND").add(value);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark(stack, marks, at);
                    list(peek(stack, at), at, "APPENDS").addAll(items);
                }
                case '}' -> stack.add(new LinkedHashMap<>()); // EMPTY_DICT
                case 'd' -> { // DICT
                    Map<Object, Object> dict = new LinkedHashMap<>();
                    putPairs(dict, popMark(stack, marks, at), at);
                    stack.add(dict);
                }
                case 's' -> { // SETITEM
                    List<Object> pair = popN(stack, 2, at);
                    putPairs(dict(peek(stack, at), at, "SETITEM"), pair, at);
                }
                case 'u' -> { // SETITEMS
                    List<Object> pairs = popMark(stack, marks, at);
                    putPairs(dict(peek(stack, at), at, "SETITEMS"), pairs, at);
                }
                case 'q' -> memo.put((long) u8(), peek(stack, at)); // BINPUT
                case 'r' -> memo.put(littleEndian(4), peek(stack, at)); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek(stack, at)); // MEMOIZE
                case 'h' -> stack.add(memoGet(memo, u8(), at)); // BINGET
                case 'j' -> stack.add(memoGet(memo, littleEndian(4), at)); // LONG_BINGET
                case 'c' -> stack.add(globals.global(line(at), line(at), at)); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    List<Object> names = popN(stack, 2, at);
                    if (!(names.get(0) instanceof String module) || !(names.get(1) instanceof String name)) {
                        throw error(at, "STACK_GLOBAL needs two strings but found " + describe(names.get(0)) + " and "
                                + describe(names.get(1)));
                    }
                    stack.add(globals.global(module, name, at));
                }
                case 'R' -> { // REDUCE
                    Object args = pop(stack, at);
                    Object callable = pop(stack, at);
                    stack.add(globals.call(callable, args, at));
                }
                case 'b' -> { // BUILD
                    Object state = pop(stack, at);
                    globals.build(peek(stack, at), state, at);
                }
                case 'Q' -> stack.add(globals.persistentLoad(pop(stack, at), at)); // BINPERSID
                default -> throw error(at, "pickle opcode " + opcodeName(op) + " is not something a state dict of"
                        + " tensors needs; vit4j reads only plain data, tensors and storages");
            }
        }
    }

    private void putPairs(Map<Object, Object> dict, List<Object> items, long at) throws ModelFormatException {
        if (items.size() % 2 != 0) {
            throw error(at, "a dict is given " + items.size() + " items, not key-value pairs");
        }
        for (int i = 0; i < items.size(); i += 2) {
            Object key = items.get(i);
            if (key instanceof List || key instanceof Map || key instanceof byte[]) {
                throw error(at, "a dict key is " + describe(key) + "; a state dict's keys are strings");
            }
            dict.put(key, items.get(i + 1));
        }
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o, long at, String op) throws ModelFormatException {
        if (!(o instanceof LinkedHashMap)) {
            throw error(at, op + " on " + describe(o) + ", which is not a dict");
        }
        return (Map<Object, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, long at, String op) throws ModelFormatException {
        if (!(o instanceof ArrayList)) {
            throw error(at, op + " on " + describe(o) + ", which is not a list");
        }
        return (List<Object>) o;
    }

    private Object memoGet(Map<Long, Object> memo, long index, long at) throws ModelFormatException {
        Object o = memo.get(index);
        if (o == null) {
            throw error(at, "the pickle reads memo entry " + index + ", which was never stored; it is corrupt");
        }
        return o;
    }

    private Object pop(List<Object> stack, long at) throws ModelFormatException {
        if (stack.isEmpty()) {
            throw error(at, "the pickle pops an empty stack; it is corrupt");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek(List<Object> stack, long at) throws ModelFormatException {
        if (stack.isEmpty()) {
            throw error(at, "the pickle reads an empty stack; it is corrupt");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popN(List<Object> stack, int n, long at) throws ModelFormatException {
        if (stack.size() < n) {
            throw error(at, "the pickle needs " + n + " values but the stack holds " + stack.size());
        }
        List<Object> top = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
        stack.subList(stack.size() - n, stack.size()).clear();
        return top;
    }

    private List<Object> popMark(List<Object> stack, Deque<Integer> marks, long at) throws ModelFormatException {
        if (marks.isEmpty()) {
            throw error(at, "the pickle takes the items since a MARK, but there is none; it is corrupt");
        }
        int mark = marks.pop();
        if (mark > stack.size()) {
            throw error(at, "a MARK lies above the top of the stack; the pickle is corrupt");
        }
        return popN(stack, stack.size() - mark, at);
    }

    private int u8() throws ModelFormatException, IOException {
        if (position >= pickleEnd) {
            throw pickleEnd < end ? tooLong() : truncated();
        }
        int b = in.read();
        if (b < 0) {
            throw truncated();
        }
        position++;
        return b;
    }

    private long littleEndian(int n) throws IOException {
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (long) u8() << (8 * i);
        }
        return v;
    }

    private long bigEndianLong() throws IOException {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | u8();
        }
        return v;
    }

    private long signedLength(int n, long at) throws IOException {
        long v = (int) littleEndian(n);
        if (v < 0) {
            throw error(at, "a length of " + v + " bytes; the pickle is corrupt");
        }
        return v;
    }

    /** {@code n} bytes, after checking that they exist and are not absurdly many. */
    private byte[] bytes(long n, String what) throws IOException {
        long at = position;
        if (n < 0 || n > MAX_ITEM_BYTES) {
            throw error(at, what + " declares " + Long.toUnsignedString(n) + " bytes, more than vit4j reads in a"
                    + " pickle (" + MAX_ITEM_BYTES + "); the file is corrupt or not a state dict");
        }
        if (n > pickleEnd - position && pickleEnd < end && n <= end - position) {
            throw tooLong();
        }
        if (n > end - position) {
            throw error(at, what + " declares " + n + " bytes but only " + (end - position) + " remain; the file is"
                    + " truncated or corrupt");
        }
        byte[] b = in.readNBytes((int) n);
        if (b.length < n) {
            throw truncated();
        }
        position += n;
        return b;
    }

    /** A GLOBAL argument: text up to a newline, at most 1 KiB. */
    private String line(long at) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = u8(); c != '\n'; c = u8()) {
            if (sb.length() >= 1024) {
                throw error(at, "GLOBAL names a module or name longer than 1024 characters; the pickle is corrupt");
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    private static Object longValue(byte[] littleEndian) {
        byte[] bigEndian = new byte[littleEndian.length];
        for (int i = 0; i < bigEndian.length; i++) {
            bigEndian[i] = littleEndian[littleEndian.length - 1 - i];
        }
        BigInteger v = bigEndian.length == 0 ? BigInteger.ZERO : new BigInteger(bigEndian);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** A value's Python type (and the value when short), for messages. */
    static String describe(Object o) {
        if (o instanceof String s) {
            return "str '" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'";
        }
        if (o instanceof ArrayList<?> l) {
            return "a list of " + l.size();
        }
        if (o instanceof List<?> t) {
            return "a tuple of " + t.size();
        }
        if (o instanceof Map<?, ?> m) {
            return "a dict of " + m.size();
        }
        if (o instanceof TorchGlobals.TensorRef t) {
            return "a tensor " + Arrays.toString(t.shape());
        }
        if (o instanceof byte[] b) {
            return "bytes of length " + b.length;
        }
        if (o instanceof TorchGlobals.Global g) {
            return g.toString();
        }
        return o instanceof TorchGlobals.StorageRef s ? "storage " + s.key() : String.valueOf(o);
    }

    private static String opcodeName(int op) {
        return String.format("0x%02x", op) + (op >= 0x20 && op < 0x7f ? " '" + (char) op + "'" : "")
                + switch (op) {
                    case 'i' -> " (INST)";
                    case 'o' -> " (OBJ)";
                    case 0x81 -> " (NEWOBJ)";
                    case 0x92 -> " (NEWOBJ_EX)";
                    case 0x82, 0x83, 0x84 -> " (EXT)";
                    case 'P' -> " (PERSID)";
                    case 0x97 -> " (NEXT_BUFFER)";
                    default -> "";
                };
    }

    private ModelFormatException tooLong() {
        return new ModelFormatException(where + ": the pickle runs past " + MAX_PICKLE_BYTES + " bytes, more than a"
                + " state dict needs; the file is corrupt or not a state dict");
    }

    private ModelFormatException truncated() {
        return new ModelFormatException(where + ": the pickle ends at byte " + position + " before its STOP; the"
                + " file is truncated or corrupt");
    }

    private ModelFormatException error(long at, String message) {
        return new ModelFormatException(where + " at pickle byte " + at + ": " + message);
    }
}
