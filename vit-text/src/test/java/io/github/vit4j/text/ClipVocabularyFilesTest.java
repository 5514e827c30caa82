package io.github.vit4j.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.format.ModelFormatException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the vocabulary files: every refusal names the file and the bad value. */
class ClipVocabularyFilesTest {

    private static final Path CLIP = SharedAssets.resolve("models/families/clip-tiny");

    @TempDir
    Path dir;

    /** A vocabulary of the 512 byte symbols, the merge "a b" and the two special tokens, with one entry appended. */
    private Path vocab(String extraEntries) throws IOException {
        StringBuilder json = new StringBuilder("{");
        int id = 0;
        for (int b = 0; b < 256; b++) {
            json.append(quoted(String.valueOf(BytePairMerges.byteSymbol(b)))).append(':').append(id++).append(',');
            json.append(quoted(BytePairMerges.byteSymbol(b) + "</w>")).append(':').append(id++).append(',');
        }
        json.append("\"ab\":").append(id++).append(",\"<|startoftext|>\":").append(id++)
                .append(",\"<|endoftext|>\":").append(id).append(extraEntries).append('}');
        return Files.writeString(dir.resolve("vocab.json"), json, StandardCharsets.UTF_8);
    }

    private static String quoted(String token) {
        return "\"" + token.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private Path merges(String text) throws IOException {
        return Files.writeString(dir.resolve("merges.txt"), text, StandardCharsets.UTF_8);
    }

    private String refusal(String extraEntries, String mergesText) throws IOException {
        Path vocab = vocab(extraEntries);
        Path merges = merges(mergesText);
        return assertThrows(ModelFormatException.class, () -> ClipTokenizer.fromFiles(vocab, merges)).getMessage();
    }

    @Test
    void aSmallWellFormedPairOfFilesTokenizes() throws IOException {
        ClipTokenizer tokenizer = ClipTokenizer.fromFiles(vocab(""), merges("#version: 0.2\na b\n"));
        assertEquals(515, tokenizer.vocabularySize());
        assertEquals(513, tokenizer.startOfText());
        assertArrayEquals(new int[] {512, 2 * 'c' + 1}, tokenizer.encode("abc"));
    }

    @Test
    void aNonIntegerIdIsRefusedNamingTheFileAndTheValue() throws IOException {
        String message = refusal(",\"zz\":1.5", "a b\n");
        assertTrue(message.contains("vocab.json") && message.contains("\"zz\"") && message.contains("1.5"), message);
        message = refusal(",\"zz\":\"7\"", "a b\n");
        assertTrue(message.contains("\"zz\"") && message.contains("\"7\""), message);
    }

    @Test
    void anIdUsedTwiceOrOutOfRangeIsRefused() throws IOException {
        String message = refusal(",\"zz\":3", "a b\n");
        assertTrue(message.contains("both have id 3") && message.contains("\"zz\""), message);
        message = refusal(",\"zz\":9999", "a b\n");
        assertTrue(message.contains("\"zz\" has id 9999") && message.contains("516 tokens"), message);
        message = refusal(",\"zz\":-1", "a b\n");
        assertTrue(message.contains("id -1"), message);
        message = refusal(",\"ab\":600", "a b\n");
        assertTrue(message.contains("\"ab\" is listed twice"), message);
    }

    @Test
    void aMergeWhoseTokensAreMissingOrAMalformedLineIsRefusedNamingTheLine() throws IOException {
        String message = refusal("", "#version: 0.2\na b\nb c\n");
        assertTrue(message.contains("merges.txt") && message.contains("merge 2") && message.contains("\"bc\""), message);
        message = refusal("", "#version: 0.2\na b c\n");
        assertTrue(message.contains("line 2") && message.contains("\"a b c\""), message);
    }

    @Test
    void aVocabularyWithoutEveryByteOrTheSpecialTokensIsRefused() throws IOException {
        Files.writeString(dir.resolve("vocab.json"), "{\"a\":0}");
        merges("");
        String message = assertThrows(ModelFormatException.class,
                () -> ClipTokenizer.fromFolder(dir)).getMessage();
        assertTrue(message.contains("vocab.json lacks the token") && message.contains("(byte 0)"), message);
    }

    @Test
    void aTokenOfCharactersThatStandForNoByteIsRefused() throws IOException {
        String message = refusal(",\"\u0416\":515", "a b\n");
        assertTrue(message.contains("\"\u0416\"") && message.contains("stands for no byte"), message);
    }

    @Test
    void brokenJsonAndOversizedFilesAreRefusedNamingTheFile() throws IOException {
        Path vocab = Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0,");
        Path merges = merges("");
        String message = assertThrows(ModelFormatException.class,
                () -> ClipTokenizer.fromFiles(vocab, merges)).getMessage();
        assertTrue(message.contains(vocab.toString()) && message.contains("not valid JSON"), message);

        Files.writeString(vocab, "[1, 2]");
        message = assertThrows(ModelFormatException.class, () -> ClipTokenizer.fromFiles(vocab, merges)).getMessage();
        assertTrue(message.contains("not a JSON object"), message);

        try (var file = java.nio.channels.FileChannel.open(vocab, java.nio.file.StandardOpenOption.WRITE)) {
            file.write(java.nio.ByteBuffer.wrap(new byte[] {' '}), ClipVocabularyFiles.MAX_FILE_BYTES); // sparse
        }
        message = assertThrows(ModelFormatException.class, () -> ClipTokenizer.fromFiles(vocab, merges)).getMessage();
        assertTrue(message.contains("more than the 33554432 bytes"), message);
    }

    @Test
    void aFolderWithoutTokenizerFilesIsRefusedNamingWhatItNeeds() {
        String message = assertThrows(NoSuchFileException.class, () -> ClipTokenizer.fromFolder(dir)).getMessage();
        assertTrue(message.contains("vocab.json") && message.contains("bpe_simple_vocab_16e6.txt.gz"), message);
    }

    /**
     * OpenAI's file holds more merges than it uses (262,144; it reads the first 48,894) after a first line of its
     * own: made here from CLIP's merges.txt with extra lines, it must give the same vocabulary and ids.
     */
    @Test
    void openAisGzipFileGivesTheSameTokenizerAsHuggingFacesFiles() throws IOException {
        List<String> lines = Files.readAllLines(CLIP.resolve("merges.txt"), StandardCharsets.UTF_8);
        Path gz = dir.resolve(ClipTokenizer.OPENAI_BPE);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(("\"bpe_simple_vocab_16e6.txt#version: 0.2\n" + String.join("\n", lines.subList(1, lines.size()))
                    + "\nha bib</w>\nfre ya</w>\n").getBytes(StandardCharsets.UTF_8));
        }
        ClipTokenizer openAi = ClipTokenizer.fromFolder(dir);
        ClipTokenizer huggingFace = ClipTokenizer.fromFolder(CLIP);
        assertEquals(49408, openAi.vocabularySize());
        assertEquals(49406, openAi.startOfText());
        String text = "A photo of the sky's stripes, 3.14 \ud83d\udc31 caf\u00e9 \u732b";
        assertArrayEquals(huggingFace.encode(text), openAi.encode(text));
        int[] all = java.util.stream.IntStream.range(0, 49408).toArray();
        assertEquals(huggingFace.decode(all), openAi.decode(all));
    }

    @Test
    void aFileThatIsNotGzipIsRefusedNamingIt() throws IOException {
        Path gz = Files.writeString(dir.resolve(ClipTokenizer.OPENAI_BPE), "i n\n");
        String message = assertThrows(ModelFormatException.class, () -> ClipTokenizer.fromOpenAiBpe(gz)).getMessage();
        assertTrue(message.contains(gz.toString()) && message.contains("gzip"), message);
    }
}
