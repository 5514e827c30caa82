package io.github.vit4j.convert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.vit4j.format.ModelFormatException;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Readers for the config files that come with safetensors weights: Hugging Face {@code config.json} and
 * {@code preprocessor_config.json}, and timm's {@code config.json}. They return what the files state
 * ({@link PartialConfig}, {@link PartialPreprocessing}); what they leave out is read off the tensors later.
 * Architectures vit4j cannot run exactly (tanh GELU, no q/k/v bias, average pooling, layer scale, distillation
 * tokens, …) are refused here with a {@link ModelFormatException} naming the file, the key and what is supported.
 *
 * <p>This class tells the files apart and reads their bytes; each format has its reader: {@link HuggingFaceConfig},
 * {@link TimmConfig} and {@link PreprocessorConfig}, on {@link JsonFields}.
 */
final class ConfigFiles {

    /** Which program wrote a config.json. */
    enum Kind {
        HUGGING_FACE("Hugging Face"), TIMM("timm"), OPEN_CLIP("OpenCLIP");

        final String displayName;

        Kind(String displayName) {
            this.displayName = displayName;
        }
    }

    /**
     * A parsed config.json.
     *
     * @param kind          who wrote it
     * @param config        the architecture as stated
     * @param preprocessing the pixel pipeline as stated (timm configs carry mean and std; Hugging Face ones nothing)
     */
    record Read(Kind kind, PartialConfig config, PartialPreprocessing preprocessing) {
    }

    /**
     * The largest config file read (16 MiB): the real ones are a few kB (ImageNet-21k's id2label about 1 MB), and a
     * file is read whole, so a larger one is refused before it is read.
     */
    static final long MAX_JSON_BYTES = 16L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigFiles() {
    }

    /**
     * Reads a config.json written by Hugging Face or timm (timm's has an {@code architecture} key).
     *
     * @throws ModelFormatException naming the file and key when it is neither, malformed, or describes an
     *                              architecture vit4j does not run
     */
    static Read read(Path file) throws IOException {
        JsonNode root = readObject(file);
        if (root.has("architecture")) {
            return TimmConfig.read(file, root);
        }
        if (root.has("model_type") || root.has("architectures") || root.has("hidden_size")) {
            return new Read(Kind.HUGGING_FACE, HuggingFaceConfig.read(file, root), new PartialPreprocessing());
        }
        throw new ModelFormatException(file + " is neither a Hugging Face config (model_type, hidden_size, …) nor a"
                + " timm config (architecture, model_args, …); pass the model's own config.json, or give the config in"
                + " a mapping file");
    }

    /**
     * Reads a Hugging Face {@code preprocessor_config.json} ({@link PreprocessorConfig}).
     *
     * @throws ModelFormatException naming the file and key when it is malformed or describes a pipeline vit4j does
     *                              not run
     */
    static PartialPreprocessing huggingFacePreprocessor(Path file) throws IOException {
        return PreprocessorConfig.read(file);
    }

    /** Reads a JSON object, or fails naming the file and where the JSON breaks. */
    static JsonNode readObject(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(readBounded(file, "a config file"));
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file + " is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"), e);
        } catch (CharConversionException e) { // Jackson guessed UTF-16 or UTF-32 from the first bytes (fuzzing found it)
            throw new ModelFormatException(file + " is not UTF-8 JSON: " + e.getMessage() + "; save it as UTF-8", e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file + " is not a JSON object");
        }
        return root;
    }

    /**
     * A small text file's bytes, or a {@link ModelFormatException} naming the file, its size and the limit when it
     * is larger than {@link #MAX_JSON_BYTES} (checked before anything is read).
     *
     * @param what what the file is, for the message: "a config file", "a mapping file"
     */
    static byte[] readBounded(Path file, String what) throws IOException {
        long size = Files.size(file);
        byte[] bytes = new byte[0];
        if (size <= MAX_JSON_BYTES) {
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes((int) MAX_JSON_BYTES + 1); // the file may have grown since
            }
            size = Math.max(size, bytes.length);
        }
        if (size > MAX_JSON_BYTES) {
            throw new ModelFormatException(file + " is " + size + " bytes, more than the " + MAX_JSON_BYTES
                    + " bytes (" + (MAX_JSON_BYTES >> 20) + " MiB) " + what + " may have; is it the right file?");
        }
        return bytes;
    }


}
