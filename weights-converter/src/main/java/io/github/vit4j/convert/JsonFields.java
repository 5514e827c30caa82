package io.github.vit4j.convert;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.vit4j.format.ModelFormatException;
import java.nio.file.Path;

/**
 * Typed optional access to one JSON object's fields, for the config readers ({@link HuggingFaceConfig},
 * {@link TimmConfig}, {@link PreprocessorConfig}); failures name the file and the key path.
 *
 * @param file   the file, for messages
 * @param node   the object
 * @param prefix the object's key path in the file, for messages: {@code ""} at the top, {@code "model_args."}
 */
record JsonFields(Path file, JsonNode node, String prefix) {

    Integer integer(String key) throws ModelFormatException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        return strictInt(key, v);
    }

    /** An integer within {@code min..max}, null when absent; outside the range refused naming the key. */
    Integer integer(String key, int min, int max, String what) throws ModelFormatException {
        Integer v = integer(key);
        if (v != null && (v < min || v > max)) {
            throw unsupported(key, v.toString(), what + " is " + min + ".." + max + " in vit4j");
        }
        return v;
    }

    /** An int, or a [h, w] pair of ints that must be square. */
    Integer squareSize(String key) throws ModelFormatException {
        JsonNode v = node.get(key);
        if (v != null && v.isArray()) {
            if (v.size() != 2) {
                throw unsupported(key, v.toString(), "vit4j runs square images and patches");
            }
            int h = strictInt(key + "[0]", v.get(0));
            int w = strictInt(key + "[1]", v.get(1));
            if (h != w) {
                throw unsupported(key, v.toString(), "vit4j runs square images and patches");
            }
            return h;
        }
        return integer(key);
    }

    private int strictInt(String key, JsonNode v) throws ModelFormatException {
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw malformed(key, v, "an integer");
        }
        return v.asInt();
    }

    Double decimal(String key) throws ModelFormatException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw malformed(key, v, "a number");
        }
        return v.asDouble();
    }

    /** A list of numbers (a single number is read as a one-element list); null when absent. */
    double[] decimals(String key) throws ModelFormatException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isNumber()) {
            return new double[] {v.asDouble()};
        }
        if (!v.isArray()) {
            throw malformed(key, v, "a list of numbers");
        }
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isNumber()) {
                throw malformed(key, v, "a list of numbers");
            }
            out[i] = v.get(i).asDouble();
        }
        return out;
    }

    String string(String key, String fallback) throws ModelFormatException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isTextual()) {
            throw malformed(key, v, "a string");
        }
        return v.asText();
    }

    boolean bool(String key, boolean fallback) throws ModelFormatException {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw malformed(key, v, "true or false");
        }
        return v.asBoolean();
    }

    ModelFormatException malformed(String key, JsonNode value, String expected) {
        return new ModelFormatException(file + ": " + prefix + key + " is " + value + "; expected " + expected);
    }

    ModelFormatException unsupported(String key, String value, String why) {
        return new ModelFormatException(file + ": " + prefix + key + " " + value + " is not supported: " + why);
    }

    /** {@code value}, or {@code fallback} when it is null (which may be null too: a size nobody stated). */
    static <T> T orElse(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
