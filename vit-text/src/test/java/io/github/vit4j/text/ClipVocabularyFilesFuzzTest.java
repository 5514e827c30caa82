package io.github.vit4j.text;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.vit4j.fuzz.FuzzedFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the tokenizer files' readers ({@link ClipTokenizer#fromFiles}): any vocab.json beside
 * a valid merges.txt, and any merges.txt beside a valid vocab.json, gives a tokenizer or a
 * {@link io.github.vit4j.format.ModelFormatException} naming the file. Seeds in
 * {@code ClipVocabularyFilesFuzzTestInputs/}: a valid 515-token vocabulary (the 512 byte symbols, "ab" and the two
 * special tokens) and refused variants (ids twice, fractional, out of range, a repeated key, deep nesting, ...).
 */
class ClipVocabularyFilesFuzzTest {

    private static final Path DIR = FuzzedFiles.folder("clip-vocabulary-fuzz");
    private static final Path VALID_VOCAB = copySeed("anyVocabJsonIsATokenizerOrANamedRefusal/valid.json", "valid-vocab.json");
    private static final Path VALID_MERGES = copySeed("anyMergesTxtIsATokenizerOrANamedRefusal/valid.txt", "valid-merges.txt");

    @FuzzTest
    void anyVocabJsonIsATokenizerOrANamedRefusal(byte[] bytes) {
        Path vocab = FuzzedFiles.write(DIR, "vocab.json", bytes);
        FuzzedFiles.readOrRefuseClearly(vocab, file -> ClipTokenizer.fromFiles(file, VALID_MERGES).encode("ab c"));
    }

    @FuzzTest
    void anyMergesTxtIsATokenizerOrANamedRefusal(byte[] bytes) {
        Path merges = FuzzedFiles.write(DIR, "merges.txt", bytes);
        FuzzedFiles.readOrRefuseClearly(merges, file -> ClipTokenizer.fromFiles(VALID_VOCAB, file).encode("ab c"));
    }

    private static Path copySeed(String seed, String name) {
        try (var in = ClipVocabularyFilesFuzzTest.class.getResourceAsStream("ClipVocabularyFilesFuzzTestInputs/" + seed)) {
            return Files.write(DIR.resolve(name), in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
