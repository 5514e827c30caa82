package io.github.vit4j.format;

import java.util.Arrays;

/**
 * One row of a {@code .vit} file's tensor table: where a float32 tensor lies and what its bytes must hash to.
 *
 * @param name   the tensor's canonical (timm) name, e.g. {@code blocks.0.attn.qkv.weight}
 * @param shape  the tensor's shape in the forward's layout, e.g. {@code [384, 128]}
 * @param offset absolute byte offset of the first element from the start of the file (a multiple of 64)
 * @param length byte length: 4 × the number of elements
 * @param crc32c the CRC-32C of those {@code length} bytes as they lie in the file
 */
public record TensorEntry(String name, long[] shape, long offset, long length, int crc32c) {

    public TensorEntry {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a tensor entry needs a name");
        }
        if (shape == null) {
            throw new IllegalArgumentException("tensor entry " + name + " needs a shape");
        }
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of float32 elements the shape describes, or −1 when it overflows a long or has a negative dim. */
    public long elements() {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                return -1;
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                return -1;
            }
        }
        return n;
    }

    /** The first byte after the tensor (offset + length), saturating instead of overflowing. */
    public long end() {
        long e = offset + length;
        return e < offset ? Long.MAX_VALUE : e;
    }

    /** The shape as text, e.g. {@code [384, 128]}. */
    public String shapeText() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorEntry t && t.name.equals(name) && Arrays.equals(t.shape, shape)
                && t.offset == offset && t.length == length && t.crc32c == crc32c;
    }

    @Override
    public int hashCode() {
        return ((name.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + Long.hashCode(offset)) * 31
                + Long.hashCode(length) * 7 + crc32c;
    }

    @Override
    public String toString() {
        return "TensorEntry[" + name + " " + shapeText() + " @" + offset + "+" + length + " crc32c="
                + String.format("%08x", crc32c) + "]";
    }
}
