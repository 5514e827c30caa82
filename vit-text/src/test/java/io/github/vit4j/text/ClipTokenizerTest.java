package io.github.vit4j.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The rows of {@code clip.tokenize}: start, ids, end, zeros; cutting and refusing long texts. */
class ClipTokenizerTest {

    static ClipTokenizer clip;

    @BeforeAll
    static void read() throws IOException {
        clip = ClipTokenizer.fromFolder(SharedAssets.resolve("models/families/clip-tiny"));
    }

    @Test
    void theSpecialTokensAreTheLastTwoIdsOfClipsVocabulary() {
        assertEquals(49408, clip.vocabularySize());
        assertEquals(49406, clip.startOfText());
        assertEquals(49407, clip.endOfText());
        assertEquals("<|startoftext|>a photo <|endoftext|>", clip.decode(new int[] {49406, 320, 1125, 49407}));
    }

    @Test
    void aRowIsStartIdsEndThenZeros() {
        long[][] rows = clip.tokenize(List.of("a photo of a cat.", "", "  "));
        assertEquals(3, rows.length);
        long[] expected = new long[77];
        long[] start = {49406, 320, 1125, 539, 320, 2368, 269, 49407};
        System.arraycopy(start, 0, expected, 0, start.length);
        assertArrayEquals(expected, rows[0]);
        long[] empty = new long[77];
        empty[0] = 49406;
        empty[1] = 49407;
        assertArrayEquals(empty, rows[1]);
        assertArrayEquals(empty, rows[2]);
    }

    @Test
    void seventySevenTokensFitAndOneMoreIsRefusedNamingTheTextsIndexAndCount() {
        String fits = String.join(" ", java.util.Collections.nCopies(75, "word"));
        assertEquals(clip.endOfText(), clip.tokenize(List.of(fits))[0][76]);
        String tooLong = fits + " word";
        IllegalArgumentException refusal = assertThrows(IllegalArgumentException.class,
                () -> clip.tokenize(List.of("a cat", tooLong)));
        assertTrue(refusal.getMessage().contains("text 1") && refusal.getMessage().contains("78 tokens")
                && refusal.getMessage().contains("tokenize(texts, 77, true)"), refusal.getMessage());
    }

    @Test
    void truncatingKeepsTheFirstIdsAndPutsEndOfTextLast() {
        String tooLong = String.join(" ", java.util.Collections.nCopies(100, "word"));
        long[] row = clip.tokenize(List.of(tooLong), 77, true)[0];
        int word = clip.encode("word")[0];
        assertEquals(49406, row[0]);
        assertTrue(Arrays.stream(row, 1, 76).allMatch(id -> id == word));
        assertEquals(49407, row[76]);
        long[] short_ = clip.tokenize(List.of("a photo"), 3, true)[0];
        assertArrayEquals(new long[] {49406, 320, 49407}, short_);
        assertThrows(IllegalArgumentException.class, () -> clip.tokenize(List.of("a"), 1, true));
    }

    @Test
    void aNullTextIsRefusedNamingItsIndex() {
        NullPointerException refusal = assertThrows(NullPointerException.class,
                () -> clip.tokenize(Arrays.asList("a", null)));
        assertEquals("texts[1] is null", refusal.getMessage());
    }

    @Test
    void anIdOutsideTheVocabularyCannotBeDecoded() {
        IllegalArgumentException refusal = assertThrows(IllegalArgumentException.class,
                () -> clip.decode(new int[] {49408}));
        assertTrue(refusal.getMessage().contains("id 49408"), refusal.getMessage());
    }

    @Test
    void theSpecialTokensInTheTextAreTheSpecialIds() {
        assertArrayEquals(new int[] {49407}, clip.encode("<|endoftext|>"));
        assertArrayEquals(new int[] {49407}, clip.encode("<|EndOfText|>")); // lower-cased first, as in OpenAI's
    }
}
