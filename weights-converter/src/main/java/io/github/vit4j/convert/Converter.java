package io.github.vit4j.convert;

import io.github.vit4j.format.Inspection;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.format.VitFile;
import io.github.vit4j.model.Pretrained;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Converts weights in any form {@link ModelLoader} reads into the native {@code .vit} file: {@code vit convert}.
 */
public final class Converter {

    private Converter() {
    }

    /**
     * Loads {@code source} and writes it to {@code out} as a {@code .vit} file (atomically), then checks the
     * written file.
     *
     * @param source  a Hugging Face or timm folder, a {@code .safetensors} file, or a {@code .vit} file
     * @param out     the {@code .vit} file to write; replaced if it exists
     * @param mapping a mapping file for weights saved under other names, or empty
     * @return the model as loaded from {@code source}
     * @throws IOException naming the file and what is wrong with it
     */
    public static Pretrained convert(Path source, Path out, Optional<Path> mapping) throws IOException {
        return convert(source, out, mapping, note -> { });
    }

    /**
     * As {@link #convert(Path, Path, Optional)}, reporting each decision taken while loading to {@code notes}.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static Pretrained convert(Path source, Path out, Optional<Path> mapping, Consumer<String> notes)
            throws IOException {
        if (Files.exists(out) && Files.exists(source) && Files.isSameFile(source, out)) {
            throw new IllegalArgumentException("the output " + out + " is the input; choose another output file");
        }
        Pretrained model = ModelLoader.load(source, mapping, notes);
        VitFile.write(out, model);
        Inspection check = VitFile.inspect(out);
        if (!check.ok()) {
            throw new ModelFormatException(out + " was written but does not read back: " + check.problems());
        }
        notes.accept("wrote " + out + " (" + check.tensors().size() + " tensors, " + check.parameterCount()
                + " parameters, " + check.fileSize() + " bytes)");
        return model;
    }
}
