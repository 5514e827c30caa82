package io.github.vit4j.format;

import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.image.Resizing;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.VitConfig;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.zip.CRC32C;

/**
 * The text header of a {@code .vit} file: {@link Properties} syntax in UTF-8, written in a fixed key order so that
 * the same model always gives the same bytes. Its last line, {@code header.crc32c=xxxxxxxx}, is the CRC-32C of all
 * header bytes before that line. Doubles are written with {@link Double#toString}, the shortest decimal that reads
 * back to the same double; {@link Double#toHexString} values are accepted too.
 *
 * <pre>
 * format.version=1
 * config.imageSize=32            … config.patchSize, channels, hiddenSize, layers, heads, mlpSize
 * config.imageWidth=168          format 2 only, and only for a non-square input; absent means imageSize
 * config.layerNormEps=1.0E-5
 * config.labels=10               then config.label.0 … config.label.9
 * config.architecture.tokens=CLS    format 2 only (a family other than the original ViT): every component of
 *                                   {@link Architecture}, e.g. registers=4, embedNorm=true, activation=QUICK_GELU,
 *                                   finalNormOnPooled, pooling, projection, head, cosineHead, positionGrid,
 *                                   positionAntialias
 * preprocessing.size=32
 * preprocessing.rescaleFactor=0.00392156862745098
 * preprocessing.mean=0.4914,0.4822,0.4465
 * preprocessing.std=0.247,0.2435,0.2616
 * preprocessing.roundResized=true   only when on (PIL-style rounding of resized values); absent reads as false
 * tensors=54                     then per tensor k: tensor.k.name, .shape (e.g. 128,48), .offset, .length, .crc32c
 * header.crc32c=1a2b3c4d
 * </pre>
 *
 * @param version       the format version: 1 for the original ViT (files are byte for byte what earlier vit4j
 *                      wrote), 2 for any other {@link Architecture}; both are read
 * @param config        the architecture
 * @param preprocessing the pixel pipeline
 * @param tensors       the tensor table in file order
 */
record Header(int version, VitConfig config, Preprocessing preprocessing, List<TensorEntry> tensors) {

    static final int VERSION = 1;
    /** The version of files of another architecture than the original ViT: version 1 plus architecture keys. */
    static final int VERSION_ARCHITECTURE = 2;
    private static final String ARCH = "config.architecture.";

    /** The version a file of {@code config} is written in: 1 for the original ViT, else 2. */
    static int versionFor(VitConfig config) {
        return config.architecture().equals(Architecture.VIT) ? VERSION : VERSION_ARCHITECTURE;
    }
    static final String CHECKSUM_KEY = "header.crc32c";

    Header {
        tensors = List.copyOf(tensors);
    }

    /** The header as UTF-8 bytes, ending with its checksum line. */
    byte[] render() {
        StringBuilder text = new StringBuilder();
        text.append("# vit4j native model: a Properties header, then 64-byte-aligned little-endian float32 tensors\n");
        line(text, "format.version", Integer.toString(version));
        VitConfig c = config;
        line(text, "config.imageSize", Integer.toString(c.imageSize()));
        if (!c.square()) {                                   // format 2 only: a non-square config has a trained
            line(text, "config.imageWidth", Integer.toString(c.imageWidth()));  // position grid, so not Architecture.VIT
        }
        line(text, "config.patchSize", Integer.toString(c.patchSize()));
        line(text, "config.channels", Integer.toString(c.channels()));
        line(text, "config.hiddenSize", Integer.toString(c.hiddenSize()));
        line(text, "config.layers", Integer.toString(c.layers()));
        line(text, "config.heads", Integer.toString(c.heads()));
        line(text, "config.mlpSize", Integer.toString(c.mlpSize()));
        line(text, "config.layerNormEps", Double.toString(c.layerNormEps()));
        line(text, "config.labels", Integer.toString(c.classes()));
        for (int i = 0; i < c.classes(); i++) {
            line(text, "config.label." + i, c.labels().get(i));
        }
        if (version >= VERSION_ARCHITECTURE) {
            Architecture a = c.architecture();
            line(text, ARCH + "tokens", a.tokens().name());
            line(text, ARCH + "registers", Integer.toString(a.registers()));
            line(text, ARCH + "embedNorm", Boolean.toString(a.embedNorm()));
            line(text, ARCH + "activation", a.activation().name());
            line(text, ARCH + "finalNormOnPooled", Boolean.toString(a.finalNormOnPooled()));
            line(text, ARCH + "pooling", a.pooling().name());
            line(text, ARCH + "projection", Integer.toString(a.projection()));
            line(text, ARCH + "head", a.head().name());
            line(text, ARCH + "cosineHead", Boolean.toString(a.cosineHead()));
            line(text, ARCH + "positionGrid", Integer.toString(a.positionGrid()));
            line(text, ARCH + "positionAntialias", Boolean.toString(a.positionAntialias()));
        }
        Preprocessing p = preprocessing;
        line(text, "preprocessing.size", Integer.toString(p.size()));
        line(text, "preprocessing.rescaleFactor", Double.toString(p.rescaleFactor()));
        line(text, "preprocessing.mean", joinDoubles(p.mean()));
        line(text, "preprocessing.std", joinDoubles(p.std()));
        if (p.roundResized()) {                              // absent means off: headers written before the key
            line(text, "preprocessing.roundResized", "true");  // existed, and any without it, read unchanged
        }
        if (p.resizing().isPresent()) {                     // absent: the bilinear resize, as before the key
            line(text, "preprocessing.resizing", p.resizing().get().toString());
        }
        line(text, "tensors", Integer.toString(tensors.size()));
        for (int k = 0; k < tensors.size(); k++) {
            TensorEntry t = tensors.get(k);
            String key = "tensor." + k + ".";
            line(text, key + "name", t.name());
            line(text, key + "shape", joinLongs(t.shape()));
            line(text, key + "offset", Long.toString(t.offset()));
            line(text, key + "length", Long.toString(t.length()));
            line(text, key + "crc32c", hex(t.crc32c()));
        }
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        byte[] last = (CHECKSUM_KEY + "=" + hex(crc32c(body)) + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[body.length + last.length];
        System.arraycopy(body, 0, all, 0, body.length);
        System.arraycopy(last, 0, all, body.length, last.length);
        return all;
    }

    /**
     * Parses and validates header bytes.
     *
     * @throws ModelFormatException naming {@code file} and the offending key when the bytes are not UTF-8, the
     *                              checksum line is missing or wrong, a key is missing or malformed, or the config
     *                              or preprocessing they describe is invalid
     */
    static Header parse(byte[] bytes, Path file) throws ModelFormatException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file + ": the header is not UTF-8 text; the file is corrupt. Convert the"
                    + " source weights again with `vit convert`", e);
        }
        int at = text.lastIndexOf(CHECKSUM_KEY + "=");
        if (at < 0 || (at > 0 && text.charAt(at - 1) != '\n')) {
            throw new ModelFormatException(file + ": the header has no " + CHECKSUM_KEY + " line at its end; the file"
                    + " is truncated or was not written by vit4j. Convert the source weights again with `vit convert`");
        }
        String stored = text.substring(at + CHECKSUM_KEY.length() + 1).strip();
        int computed = crc32c(text.substring(0, at).getBytes(StandardCharsets.UTF_8));
        if (!stored.equalsIgnoreCase(hex(computed))) {
            throw new ModelFormatException(file + ": header checksum mismatch (stored " + CHECKSUM_KEY + "=" + stored
                    + ", computed " + hex(computed) + "); the header is corrupt. Convert the source weights again"
                    + " with `vit convert`");
        }
        Properties props = new Properties();
        try {
            props.load(new StringReader(text));
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelFormatException(file + ": the header does not parse as Properties text: " + e.getMessage(),
                    e);
        }
        Keys keys = new Keys(props, file);
        int version = keys.integer("format.version");
        if (version != VERSION && version != VERSION_ARCHITECTURE) {
            throw new ModelFormatException(file + ": header format.version is " + version + " but this vit4j reads "
                    + "versions " + VERSION + " and " + VERSION_ARCHITECTURE + "; use the vit4j version that wrote it,"
                    + " or convert again");
        }
        int classes = keys.integer("config.labels");
        if (classes < 1) {
            throw new ModelFormatException(file + ": header config.labels is " + classes + "; a model has at least "
                    + "one class");
        }
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < classes; i++) {
            labels.add(keys.string("config.label." + i));
        }
        VitConfig config;
        try {
            Architecture architecture = version == VERSION ? Architecture.VIT : new Architecture(
                    keys.choice(ARCH + "tokens", Architecture.Tokens.class), keys.integer(ARCH + "registers"),
                    keys.bool(ARCH + "embedNorm"), keys.choice(ARCH + "activation", Architecture.Activation.class),
                    keys.bool(ARCH + "finalNormOnPooled"), keys.choice(ARCH + "pooling", Architecture.Pooling.class),
                    keys.integer(ARCH + "projection"), keys.choice(ARCH + "head", Architecture.Head.class),
                    keys.bool(ARCH + "cosineHead"), keys.integer(ARCH + "positionGrid"),
                    keys.bool(ARCH + "positionAntialias"));
            config = new VitConfig(keys.integer("config.imageSize"), keys.integer("config.patchSize"),
                    keys.integer("config.channels"), keys.integer("config.hiddenSize"), keys.integer("config.layers"),
                    keys.integer("config.heads"), keys.integer("config.mlpSize"), keys.decimal("config.layerNormEps"),
                    labels, architecture, version == VERSION ? keys.integer("config.imageSize")
                    : keys.optionalInteger("config.imageWidth", keys.integer("config.imageSize")));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": the header's config is invalid: " + e.getMessage(), e);
        }
        Preprocessing preprocessing;
        try {
            preprocessing = new Preprocessing(keys.integer("preprocessing.size"),
                    keys.decimal("preprocessing.rescaleFactor"), keys.decimals("preprocessing.mean"),
                    keys.decimals("preprocessing.std"), keys.flag("preprocessing.roundResized"));
            String resizing = props.getProperty("preprocessing.resizing");
            if (resizing != null) {
                preprocessing = preprocessing.withResizing(Resizing.parse(resizing));
            }
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": the header's preprocessing is invalid: " + e.getMessage(), e);
        }
        int count = keys.integer("tensors");
        if (count < 0) {
            throw new ModelFormatException(file + ": header says tensors=" + count + "; expected a count >= 0");
        }
        List<TensorEntry> tensors = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            String key = "tensor." + k + ".";
            String name = keys.string(key + "name");
            if (name.isEmpty()) {
                throw new ModelFormatException(file + ": header key " + key + "name is empty");
            }
            tensors.add(new TensorEntry(name, keys.longs(key + "shape"), keys.longInteger(key + "offset"),
                    keys.longInteger(key + "length"), keys.crc(key + "crc32c")));
        }
        return new Header(version, config, preprocessing, tensors);
    }

    static int crc32c(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int) crc.getValue();
    }

    static String hex(int crc) {
        return String.format(Locale.ROOT, "%08x", crc);
    }

    /**
     * Appends {@code key=value} escaped as {@link Properties#store} escapes it, with a {@code \n} ending, and with
     * the line breaks that {@code store} leaves raw (vertical tab, U+0085, U+2028, U+2029) written as {@code \\uXXXX}:
     * the output is split into lines below, and a raw one cut a label or tensor name short (found by
     * {@code HeaderFuzzTest}).
     */
    private static void line(StringBuilder text, String key, String value) {
        Properties one = new Properties();
        one.setProperty(key, value);
        StringWriter w = new StringWriter();
        try {
            one.store(w, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        StringBuilder escaped = new StringBuilder();
        for (char ch : w.toString().toCharArray()) {
            boolean rawBreak = ch == '\u000B' || ch == '\u0085' || ch == '\u2028' || ch == '\u2029';
            escaped.append(rawBreak ? String.format(Locale.ROOT, "\\u%04X", (int) ch) : String.valueOf(ch));
        }
        for (String l : escaped.toString().split("\\R")) {
            if (!l.isEmpty() && !l.startsWith("#")) {
                text.append(l).append('\n');
            }
        }
    }

    private static String joinDoubles(double[] values) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            s.append(i == 0 ? "" : ",").append(values[i]);
        }
        return s.toString();
    }

    private static String joinLongs(long[] values) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            s.append(i == 0 ? "" : ",").append(values[i]);
        }
        return s.toString();
    }

    /** Typed access to header keys; every failure names the file and key. */
    private record Keys(Properties props, Path file) {

        String string(String key) throws ModelFormatException {
            String v = props.getProperty(key);
            if (v == null) {
                throw new ModelFormatException(file + ": header key " + key + " is missing; the file was not written"
                        + " by this vit4j or is corrupt. Convert the source weights again with `vit convert`");
            }
            return v;
        }

        int optionalInteger(String key, int absent) throws ModelFormatException {
            return props.getProperty(key) == null ? absent : integer(key);
        }

        int integer(String key) throws ModelFormatException {
            String v = string(key).strip();
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw malformed(key, v, "an integer");
            }
        }

        /** A required {@code true}/{@code false} key. */
        boolean bool(String key) throws ModelFormatException {
            string(key);
            return flag(key);
        }

        /** A required key naming a constant of {@code type}. */
        <E extends Enum<E>> E choice(String key, Class<E> type) throws ModelFormatException {
            String v = string(key).strip();
            for (E e : type.getEnumConstants()) {
                if (e.name().equals(v)) {
                    return e;
                }
            }
            throw malformed(key, v, "one of " + java.util.Arrays.toString(type.getEnumConstants()));
        }

        /** An optional {@code true}/{@code false} key: absent reads as false. */
        boolean flag(String key) throws ModelFormatException {
            String v = props.getProperty(key);
            if (v == null) {
                return false;
            }
            return switch (v.strip()) {
                case "true" -> true;
                case "false" -> false;
                default -> throw malformed(key, v.strip(), "true or false (absent means false)");
            };
        }

        long longInteger(String key) throws ModelFormatException {
            String v = string(key).strip();
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw malformed(key, v, "an integer");
            }
        }

        double decimal(String key) throws ModelFormatException {
            String v = string(key).strip();
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw malformed(key, v, "a number");
            }
        }

        double[] decimals(String key) throws ModelFormatException {
            String v = string(key).strip();
            String[] parts = v.split(",");
            double[] out = new double[parts.length];
            try {
                for (int i = 0; i < parts.length; i++) {
                    out[i] = Double.parseDouble(parts[i].strip());
                }
            } catch (NumberFormatException e) {
                throw malformed(key, v, "comma-separated numbers");
            }
            return out;
        }

        long[] longs(String key) throws ModelFormatException {
            String v = string(key).strip();
            if (v.isEmpty()) {
                return new long[0]; // a scalar
            }
            String[] parts = v.split(",");
            long[] out = new long[parts.length];
            try {
                for (int i = 0; i < parts.length; i++) {
                    out[i] = Long.parseLong(parts[i].strip());
                }
            } catch (NumberFormatException e) {
                throw malformed(key, v, "comma-separated dimensions");
            }
            return out;
        }

        int crc(String key) throws ModelFormatException {
            String v = string(key).strip();
            if (v.isEmpty() || v.length() > 8) {
                throw malformed(key, v, "8 hex digits");
            }
            try {
                return (int) Long.parseLong(v, 16);
            } catch (NumberFormatException e) {
                throw malformed(key, v, "8 hex digits");
            }
        }

        private ModelFormatException malformed(String key, String value, String what) {
            return new ModelFormatException(file + ": header key " + key + " is '" + value + "'; expected " + what);
        }
    }
}
