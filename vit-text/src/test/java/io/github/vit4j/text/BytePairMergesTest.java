package io.github.vit4j.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.vit4j.SharedAssets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** BPE by hand: the word "lower" with CLIP's own merge ranks, one merge at a time. */
class BytePairMergesTest {

    private static final Path CLIP = SharedAssets.resolve("models/families/clip-tiny");

    /**
     * The merges of CLIP's merges.txt that "lower" can use; the rank is the line number minus 2 (line 1 is
     * "#version: 0.2", the first merge "i n" has rank 0).
     */
    private static final Map<String, Integer> LOWER_MERGES = Map.of(
            "e r</w>", 16, "l o", 37, "w e", 86, "lo w", 537, "o w", 1520, "w er</w>", 2468, "low er</w>", 4397);

    @Test
    void theRanksAreTheLineNumbersOfMergesTxt() throws IOException {
        List<String> lines = Files.readAllLines(CLIP.resolve("merges.txt"), StandardCharsets.UTF_8);
        assertEquals("i n", lines.get(1));
        LOWER_MERGES.forEach((pair, rank) -> assertEquals(pair, lines.get(rank + 1)));
    }

    /**
     * l o w e r&lt;/w&gt; (the last letter marked end of word); of its pairs (l,o) 37, (o,w) 1520, (w,e) 86,
     * (e,r&lt;/w&gt;) 16, the lowest rank is merged first:
     * <ol>
     *   <li>rank 16: l o w er&lt;/w&gt; (now "w e", rank 86, can no longer happen: e is taken)</li>
     *   <li>rank 37: lo w er&lt;/w&gt;</li>
     *   <li>rank 537: low er&lt;/w&gt; (beating "w er&lt;/w&gt;", 2468)</li>
     *   <li>rank 4397: lower&lt;/w&gt;, one symbol: id 4909 in vocab.json.</li>
     * </ol>
     * Each step is the result with only the merges up to that rank known.
     */
    @Test
    void lowerIsMergedInFourStepsLowestRankFirst() throws IOException {
        assertArrayEquals(new String[] {"l", "o", "w", "e", "r</w>"}, upToRank(15).merge("lower"));
        assertArrayEquals(new String[] {"l", "o", "w", "er</w>"}, upToRank(16).merge("lower"));
        assertArrayEquals(new String[] {"lo", "w", "er</w>"}, upToRank(37).merge("lower"));
        assertArrayEquals(new String[] {"lo", "w", "er</w>"}, upToRank(536).merge("lower"));
        assertArrayEquals(new String[] {"low", "er</w>"}, upToRank(537).merge("lower"));
        assertArrayEquals(new String[] {"low", "er</w>"}, upToRank(4396).merge("lower"));
        assertArrayEquals(new String[] {"lower</w>"}, upToRank(4397).merge("lower"));

        ClipTokenizer clip = ClipTokenizer.fromFolder(CLIP);
        assertArrayEquals(new int[] {4909}, clip.encode("lower"));
        assertArrayEquals(new int[] {4909}, clip.encode("LOWER"));
        assertEquals("lower ", clip.decode(new int[] {4909}));
    }

    @Test
    void aPairMergesEverywhereItOccursLeftToRight() {
        BytePairMerges merges = new BytePairMerges(Map.of("a a", 0));
        assertArrayEquals(new String[] {"aa", "aa", "a</w>"}, merges.merge("aaaaa"));
        assertArrayEquals(new String[] {"aa", "a</w>"}, merges.merge("aaa"));
        assertArrayEquals(new String[] {"x</w>"}, merges.merge("x"));
    }

    @Test
    void everyByteHasAPrintableSymbolAndBackAsGpt2Chose() {
        assertEquals('!', BytePairMerges.byteSymbol('!'));
        assertEquals('\u0120', BytePairMerges.byteSymbol(' ')); // Ġ: space is the 33rd byte without a symbol of its own
        assertEquals('\u0100', BytePairMerges.byteSymbol(0));
        assertEquals('\u0143', BytePairMerges.byteSymbol(0xAD)); // the soft hyphen, the last one moved
        for (int b = 0; b < 256; b++) {
            assertEquals(b, BytePairMerges.byteOf(BytePairMerges.byteSymbol(b)));
        }
        assertEquals(-1, BytePairMerges.byteOf('\u0144'));
        assertEquals("caf\u00c3\u00a9", BytePairMerges.byteEncode("café")); // é is the bytes C3 A9
    }

    private static BytePairMerges upToRank(int rank) {
        Map<String, Integer> known = new HashMap<>();
        LOWER_MERGES.forEach((pair, r) -> {
            if (r <= rank) {
                known.put(pair, r);
            }
        });
        return new BytePairMerges(known);
    }
}
