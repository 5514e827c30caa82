package io.github.vit4j.trace;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The whole lines of a file that {@link DatasetTrace} wrote ({@code trace.csv}): split at {@code \n} alone, as
 * written, counting the bytes read exactly, so that a file can be cut back to the end of any of them. A last line
 * with no {@code \n} (cut short by a kill) is not a whole line and is not returned.
 */
final class WholeLines implements Closeable {

    private final InputStream in;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private long bytes;
    private int number;

    WholeLines(Path file) throws IOException {
        this.in = new BufferedInputStream(Files.newInputStream(file));
    }

    /**
     * The next whole line, without its {@code \n}; empty at the end of the file or at a last line cut short.
     *
     * @throws CharacterCodingException when the line is not UTF-8 text
     */
    Optional<String> next() throws IOException {
        line.reset();
        for (int b = in.read(); b != -1; b = in.read()) {
            if (b == '\n') {
                String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(line.toByteArray()))
                        .toString();
                number++;
                bytes += line.size() + 1;
                return Optional.of(text);
            }
            line.write(b);
        }
        return Optional.empty();
    }

    /** The bytes of the whole lines returned so far, their {@code \n}s included. */
    long bytes() {
        return bytes;
    }

    /** The 1-based number of the last whole line returned. */
    int number() {
        return number;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
