package io.github.vit4j.format;

import static io.github.vit4j.format.VitFile.ALIGNMENT;
import static io.github.vit4j.format.VitFile.MAGIC;
import static io.github.vit4j.format.VitFile.PREAMBLE;

import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What is wrong with a {@code .vit} file, said in full: the messages for a file that is not one (or not this
 * version), every problem of its tensor table (regions, alignment, overlaps, names and shapes against the header's
 * config) and each tensor's checksum. {@link VitFile#read} throws the first problem; {@link VitFile#inspect} lists
 * them all.
 */
final class VitFileDiagnostics {

    /** The remedy for any damaged file. */
    static final String RECONVERT = "convert the source weights again with `vit convert`";

    private VitFileDiagnostics() {
    }

    /** What {@link VitFile#inspect} returns: the table's problems, then each tensor's checksum (all of them). */
    static Inspection inspect(Path file, FileChannel ch, VitFile.Opened opened) throws IOException {
        List<String> problems = tableProblems(file, opened);
        Map<String, Boolean> checksumOk = new LinkedHashMap<>();
        for (TensorEntry e : opened.header().tensors()) {
            boolean inFile = e.offset() >= 0 && e.length() >= 0 && e.length() <= Integer.MAX_VALUE
                    && e.end() <= opened.size();
            boolean ok = false;
            if (inFile) {
                int crc = VitFile.crc32c(ch.map(FileChannel.MapMode.READ_ONLY, e.offset(), e.length()));
                ok = crc == e.crc32c();
                if (!ok) {
                    problems.add(checksumMessage(file, e, crc));
                }
            }
            checksumOk.merge(e.name(), ok, Boolean::logicalAnd);
        }
        Header h = opened.header();
        return new Inspection(file, opened.size(), h.version(), opened.headerLength(), h.config(),
                h.preprocessing(), h.tensors(), checksumOk, problems);
    }

    /** Whether 8 bytes are the magic with at most two bytes changed (a bit flip, a damaged copy). */
    static boolean nearlyMagic(byte[] first) {
        int differing = 0;
        for (int i = 0; i < MAGIC.length; i++) {
            differing += first[i] == MAGIC[i] ? 0 : 1;
        }
        return differing <= 2;
    }

    /** The message for a file that does not start with the magic: what it is instead, when that can be told. */
    static String badMagic(Path file, long size, byte[] first, ByteBuffer pre) {
        if (size == 0) {
            return file + " is empty (0 bytes), not a vit4j file; convert weights to the native format with"
                    + " `vit convert`";
        }
        if (first.length < MAGIC.length && Arrays.equals(first, Arrays.copyOf(MAGIC, first.length))) {
            return file + " is truncated: " + size + " bytes, shorter than the " + MAGIC.length + "-byte magic; "
                    + RECONVERT;
        }
        if (first.length == MAGIC.length && Arrays.equals(Arrays.copyOf(first, 7), Arrays.copyOf(MAGIC, 7))) {
            return file + " is a vit4j file of format version '" + (char) first[7] + "', but this vit4j reads version "
                    + (char) MAGIC[7] + "; use the vit4j version that wrote it, or " + RECONVERT;
        }
        if (first.length == MAGIC.length && nearlyMagic(first)) {
            return file + " is not a valid .vit file: bad magic (expected " + hexBytes(MAGIC) + " \"VIT4J\\0v1\", got "
                    + hexBytes(first) + "); the file is corrupt. " + cap(RECONVERT);
        }
        String seen = "it starts with " + hexBytes(first);
        if (pre.remaining() == PREAMBLE && size > PREAMBLE) {
            long n = pre.getLong(0);
            if (n > 0 && n <= size - 8 && (pre.get(8) == '{')) {
                return file + " is not a vit4j file: it looks like a safetensors file; convert it with `vit convert "
                        + file + " OUT.vit` or load it through the weights converter";
            }
        }
        return file + " is not a vit4j file (" + seen + ", expected the magic " + hexBytes(MAGIC)
                + " \"VIT4J\\0v1\"); convert weights to the native format with `vit convert`";
    }

    /** Every problem of the tensor table: regions, alignment, overlaps, and names and shapes against the config. */
    static List<String> tableProblems(Path file, VitFile.Opened opened) {
        List<String> problems = new ArrayList<>();
        Header h = opened.header();
        Set<String> seen = new HashSet<>();
        for (TensorEntry e : h.tensors()) {
            String t = file + ": tensor " + e.name() + " " + e.shapeText();
            if (!seen.add(e.name())) {
                problems.add(t + " appears twice in the tensor table; the header is corrupt. " + cap(RECONVERT));
            }
            long n = e.elements();
            if (n < 0 || n > Long.MAX_VALUE / 4) {
                problems.add(t + " has an invalid shape; the header is corrupt. " + cap(RECONVERT));
            } else if (e.length() != 4 * n) {
                problems.add(t + " has " + e.length() + " bytes in the table but " + n + " float32 values need "
                        + 4 * n + "; the header is corrupt. " + cap(RECONVERT));
            }
            if (e.offset() % ALIGNMENT != 0) {
                problems.add(t + " starts at byte " + e.offset() + ", not a multiple of " + ALIGNMENT
                        + "; the header is corrupt. " + cap(RECONVERT));
            }
            if (e.offset() < opened.dataStart()) {
                problems.add(t + " starts at byte " + e.offset() + ", inside the header (tensor data starts at byte "
                        + opened.dataStart() + "); the header is corrupt. " + cap(RECONVERT));
            }
            if (e.length() > Integer.MAX_VALUE) {
                problems.add(t + " is " + e.length() + " bytes; format version 1 maps at most 2 GiB per tensor");
            }
            if (e.end() > opened.size()) {
                problems.add(t + " lies at bytes [" + e.offset() + ", " + e.end() + "), past the end of the file ("
                        + opened.size() + " bytes): the file is truncated. " + cap(RECONVERT));
            }
        }
        List<TensorEntry> byOffset = new ArrayList<>(h.tensors());
        byOffset.sort(Comparator.comparingLong(TensorEntry::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorEntry a = byOffset.get(i - 1);
            TensorEntry b = byOffset.get(i);
            if (b.offset() < a.end()) {
                problems.add(file + ": tensors " + a.name() + " (bytes [" + a.offset() + ", " + a.end() + ")) and "
                        + b.name() + " (bytes [" + b.offset() + ", " + b.end() + ")) overlap; the header is corrupt. "
                        + cap(RECONVERT));
            }
        }
        VitConfig c = h.config();
        Map<String, long[]> expected = VitWeights.expectedShapes(c);
        String model = "the header's config (" + c.layers() + " layers of width " + c.hiddenSize() + ", "
                + (c.square() ? c.imageSize() + "px" : c.imageHeight() + "×" + c.imageWidth()) + " images in " + c.patchSize() + "px patches, MLP " + c.mlpSize() + ", "
                + c.classes() + " classes)";
        for (TensorEntry e : h.tensors()) {
            long[] want = expected.get(e.name());
            if (want == null) {
                problems.add(file + ": unknown tensor " + e.name() + " " + e.shapeText() + ": not part of a ViT with "
                        + model + "; is config.layers right?");
            } else if (!Arrays.equals(want, e.shape())) {
                problems.add(file + ": tensor " + e.name() + " has shape " + e.shapeText() + " but " + model
                        + " needs " + Arrays.toString(want) + hint(c, e.name(), e.shape()));
            }
        }
        for (Map.Entry<String, long[]> w : expected.entrySet()) {
            if (!seen.contains(w.getKey())) {
                problems.add(file + ": tensor " + w.getKey() + " " + Arrays.toString(w.getValue()) + " is missing; "
                        + model + " needs it. " + cap(RECONVERT));
            }
        }
        return problems;
    }

    private static String hint(VitConfig c, String name, long[] actual) {
        if (name.equals("pos_embed") && actual.length == 2) {
            long grid = Math.round(Math.sqrt(actual[0] - 1.0));
            if (grid * grid == actual[0] - 1) {
                return "; " + actual[0] + " tokens is a " + grid + "×" + grid + " patch grid: is this a "
                        + grid * c.patchSize() + "px model?";
            }
        }
        return "; the header's config does not match its tensors. " + cap(RECONVERT);
    }

    static String checksumMessage(Path file, TensorEntry e, int computed) {
        return file + ": tensor " + e.name() + " " + e.shapeText() + " fails its checksum (stored crc32c "
                + Header.hex(e.crc32c()) + ", computed " + Header.hex(computed) + " over bytes [" + e.offset() + ", "
                + e.end() + ")): the file is corrupt. " + cap(RECONVERT);
    }

    private static String hexBytes(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            s.append(String.format("%02x ", b & 0xff));
        }
        return s.toString().strip();
    }

    static String cap(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
