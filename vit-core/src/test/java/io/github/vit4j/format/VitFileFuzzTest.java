package io.github.vit4j.format;

import static io.github.vit4j.fuzz.FuzzedFiles.assertClearRefusal;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.vit4j.fuzz.FuzzedFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the {@code .vit} reader ({@link VitFile#read}, {@link VitFile#inspect},
 * {@link VitFile#looksLikeVitFile}, {@link VitFile#isVitFile}): any file gives a model, an inspection, or a {@link ModelFormatException} (an
 * {@link IOException}) naming the file. Seeds in {@code VitFileFuzzTestInputs/}: two small valid models, cut and
 * foreign files.
 *
 * <p>The header ends with its own CRC-32C, which a random mutation almost never keeps right; so that the fuzzer
 * explores what lies behind it (the Properties keys, the tensor table against the config, the mappings), this test
 * rewrites a {@code header.crc32c=} line it finds to the checksum of the header bytes before it. The checksum test
 * itself is {@code VitFileTest.corruptedHeaderIsDetected}.
 */
class VitFileFuzzTest {

    private static final Path DIR = FuzzedFiles.folder("vit-fuzz");
    private static final byte[] CHECKSUM_LINE = (Header.CHECKSUM_KEY + "=").getBytes(StandardCharsets.US_ASCII);

    @FuzzTest
    void anyBytesAreAModelOrANamedRefusal(byte[] bytes) {
        Path file = FuzzedFiles.write(DIR, "fuzzed.vit", withHeaderChecksumRepaired(bytes));
        try {
            VitFile.looksLikeVitFile(file);
            VitFile.isVitFile(file);
            VitFile.inspect(file);
            VitFile.read(file, false); // the checksums are inspect's: a mutated tensor rarely keeps its CRC
        } catch (IOException refusal) {
            assertClearRefusal(refusal, file);
        }
    }

    /** {@code bytes} with the CRC-32C digits after the header's last {@code header.crc32c=} made right. */
    static byte[] withHeaderChecksumRepaired(byte[] bytes) {
        if (bytes.length < 16) {
            return bytes;
        }
        long length = ByteBuffer.wrap(bytes, 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (length < 0 || length > bytes.length - 16) {
            return bytes;
        }
        int end = 16 + (int) length;
        int at = lastIndexOf(bytes, CHECKSUM_LINE, 16, end);
        if (at < 0 || at + CHECKSUM_LINE.length + 8 > end) {
            return bytes;
        }
        byte[] fixed = bytes.clone();
        byte[] before = java.util.Arrays.copyOfRange(bytes, 16, at);
        byte[] digits = Header.hex(Header.crc32c(before)).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, fixed, at + CHECKSUM_LINE.length, digits.length);
        return fixed;
    }

    private static int lastIndexOf(byte[] haystack, byte[] needle, int from, int to) {
        for (int i = to - needle.length; i >= from; i--) {
            int j = 0;
            while (j < needle.length && haystack[i + j] == needle[j]) {
                j++;
            }
            if (j == needle.length) {
                return i;
            }
        }
        return -1;
    }
}
