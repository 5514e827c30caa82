package io.github.vit4j.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the {@code .vit} header alone ({@link Header#parse}), in memory: the fuzzer writes the
 * header's text and this test appends the checksum line it needs, so every execution reaches the Properties
 * parsing and the config, preprocessing and tensor-table checks. Any text gives a header or a
 * {@link ModelFormatException} naming the file; a header that parses renders to bytes that parse to the same
 * header. Seeds in {@code HeaderFuzzTestInputs/}: the headers of two small models and damaged variants.
 */
class HeaderFuzzTest {

    private static final Path FILE = Path.of("fuzzed.vit");

    @FuzzTest
    void anyHeaderTextIsAHeaderThatRoundTripsOrANamedRefusal(byte[] body) {
        Header header;
        try {
            header = Header.parse(withChecksumLine(body), FILE);
        } catch (ModelFormatException refusal) {
            io.github.vit4j.fuzz.FuzzedFiles.assertClearRefusal(refusal, FILE);
            return;
        }
        Header again = assertDoesNotRefuse(header.render());
        assertEquals(header, again, "a parsed header renders to bytes that parse to the same header");
    }

    private static Header assertDoesNotRefuse(byte[] rendered) {
        try {
            return Header.parse(rendered, FILE);
        } catch (ModelFormatException e) {
            throw new AssertionError("a header that parsed was rendered to bytes that do not: " + e.getMessage(), e);
        }
    }

    /** The header text followed by its {@code header.crc32c} line (after a line break if it lacks one). */
    private static byte[] withChecksumLine(byte[] body) {
        byte[] text = body;
        if (text.length > 0 && text[text.length - 1] != '\n') {
            text = java.util.Arrays.copyOf(body, body.length + 1);
            text[body.length] = '\n';
        }
        byte[] line = (Header.CHECKSUM_KEY + "=" + Header.hex(Header.crc32c(text)) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] all = java.util.Arrays.copyOf(text, text.length + line.length);
        System.arraycopy(line, 0, all, text.length, line.length);
        return all;
    }
}
