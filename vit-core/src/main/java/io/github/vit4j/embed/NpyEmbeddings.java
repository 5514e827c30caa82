package io.github.vit4j.embed;

import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.format.Npy;
import io.github.vit4j.image.ImageSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** {@link EmbeddingWriter#npy()}: the float32 {@code .npy} and its index CSV. */
final class NpyEmbeddings implements EmbeddingWriter {

    /** The index CSV's header. */
    static final String HEADER = "index,name,label";

    @Override
    public void write(Path target, EmbeddingTable table) throws IOException {
        AtomicFile.write(EmbeddingWriter.indexOf(target), out -> {
            out.write((HEADER + "\n").getBytes(StandardCharsets.UTF_8));
            table.forEachImage((index, name, label) -> out.write((index + "," + csv(name) + ","
                    + (label == ImageSource.UNKNOWN_LABEL ? "" : Integer.toString(label)) + "\n")
                    .getBytes(StandardCharsets.UTF_8)));
        });
        AtomicFile.write(target, out -> {
            out.write(Npy.float32Header(table.images(), table.width()));
            table.copyValues(out);
        });
    }

    /** {@code text} as an RFC 4180 field: quoted, its quotes doubled, where it holds a comma, quote or line break. */
    static String csv(String text) {
        if (text.indexOf(',') < 0 && text.indexOf('"') < 0 && text.indexOf('\n') < 0 && text.indexOf('\r') < 0) {
            return text;
        }
        return "\"" + text.replace("\"", "\"\"") + "\"";
    }
}
