package io.github.vit4j.text;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The byte-level BPE of GPT-2 and CLIP, as OpenAI's {@code simple_tokenizer.py} runs it on one pre-token (a piece
 * the splitting regex found): its UTF-8 bytes become printable characters ({@link #byteSymbol}), the last one marked
 * {@code </w>} (end of word), and then, as long as two neighbouring symbols form a pair listed in {@code merges.txt},
 * the pair with the lowest rank (its line number) is merged everywhere it occurs, left to right.
 *
 * <p>A word of n bytes costs O(n²) (at most n merges, each a pass over the word), as in OpenAI's and Hugging Face's
 * code; finished words are cached (up to {@link #CACHE_LIMIT} of them, then the cache starts afresh).
 */
final class BytePairMerges {

    /** The end-of-word mark appended to a word's last symbol. */
    static final String END_OF_WORD = "</w>";

    /** How many distinct words the cache keeps before it is emptied (OpenAI's grows without bound). */
    static final int CACHE_LIMIT = 50_000;

    /**
     * The printable character that stands for each byte (GPT-2's {@code bytes_to_unicode}): the bytes
     * {@code !..~}, {@code ¡..¬} and {@code ®..ÿ} stand for themselves, the other 68 (controls, space, soft
     * hyphen, ...) for U+0100, U+0101, ... in byte order.
     */
    private static final char[] BYTE_SYMBOLS = byteSymbols();

    /** The inverse of {@link #BYTE_SYMBOLS}: the byte of each symbol character below U+0144, else -1. */
    private static final int[] SYMBOL_BYTES = symbolBytes();

    private final Map<String, Integer> ranks;
    private final Map<String, String[]> cache = new ConcurrentHashMap<>();

    /** @param ranks each merge's rank by its pair key ({@link #pairKey}) */
    BytePairMerges(Map<String, Integer> ranks) {
        this.ranks = Map.copyOf(ranks);
    }

    /** The key of the pair (a, b) in the rank map: "a b" (symbols never hold a space: it is byte symbol 'Ġ'). */
    static String pairKey(String first, String second) {
        return first + ' ' + second;
    }

    /** The printable character that stands for byte {@code b} (0..255). */
    static char byteSymbol(int b) {
        return BYTE_SYMBOLS[b];
    }

    /** The byte a symbol character stands for, or -1 where it stands for none. */
    static int byteOf(char symbol) {
        return symbol < SYMBOL_BYTES.length ? SYMBOL_BYTES[symbol] : -1;
    }

    /**
     * The bytes in the order of {@code bytes_to_unicode()}'s dictionary, which is the order of the first 256 ids:
     * those that stand for themselves ({@code !} is id 0), then the others (the byte 0, U+0100, is id 188).
     */
    static int[] bytesInVocabularyOrder() {
        int[] order = new int[256];
        int n = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (int b = 0; b < 256; b++) {
                if ((BYTE_SYMBOLS[b] == b) == (pass == 0)) {
                    order[n++] = b;
                }
            }
        }
        return order;
    }

    /** A pre-token's UTF-8 bytes, each as its symbol character. */
    static String byteEncode(String preToken) {
        byte[] utf8 = preToken.getBytes(StandardCharsets.UTF_8);
        StringBuilder symbols = new StringBuilder(utf8.length);
        for (byte b : utf8) {
            symbols.append(BYTE_SYMBOLS[b & 0xff]);
        }
        return symbols.toString();
    }

    /** The number of merges known. */
    int size() {
        return ranks.size();
    }

    /**
     * The symbols a byte-encoded word ends up as ({@code simple_tokenizer.py}'s {@code bpe}): e.g. "lower" gives
     * ["lower</w>"] and "lowerz" gives ["lower", "z</w>"] with CLIP's merges.
     */
    String[] encode(String word) {
        String[] cached = cache.get(word);
        if (cached != null) {
            return cached;
        }
        String[] symbols = merge(word);
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear();
        }
        cache.put(word, symbols);
        return symbols;
    }

    /** The merges of one word, step by step (without the cache). */
    String[] merge(String word) {
        List<String> symbols = new ArrayList<>(word.length());
        for (int i = 0; i < word.length() - 1; i++) {
            symbols.add(String.valueOf(word.charAt(i)));
        }
        symbols.add(word.charAt(word.length() - 1) + END_OF_WORD);
        while (symbols.size() > 1) {
            int best = lowestRankedPair(symbols);
            if (best < 0) {
                break;
            }
            String first = symbols.get(best);
            String second = symbols.get(best + 1);
            List<String> merged = new ArrayList<>(symbols.size());
            for (int i = 0; i < symbols.size(); i++) {
                if (i < symbols.size() - 1 && symbols.get(i).equals(first) && symbols.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i++;
                } else {
                    merged.add(symbols.get(i));
                }
            }
            symbols = merged;
        }
        return symbols.toArray(String[]::new);
    }

    /** The index of the first symbol of the neighbouring pair with the lowest rank, or -1 if no pair is a merge. */
    private int lowestRankedPair(List<String> symbols) {
        int best = -1;
        int bestRank = Integer.MAX_VALUE;
        for (int i = 0; i < symbols.size() - 1; i++) {
            Integer rank = ranks.get(pairKey(symbols.get(i), symbols.get(i + 1)));
            if (rank != null && rank < bestRank) {
                best = i;
                bestRank = rank;
            }
        }
        return best;
    }

    private static int[] symbolBytes() {
        int[] bytes = new int[256 + 68];
        Arrays.fill(bytes, -1);
        for (int b = 0; b < 256; b++) {
            bytes[BYTE_SYMBOLS[b]] = b;
        }
        return bytes;
    }

    private static char[] byteSymbols() {
        char[] symbols = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            symbols[b] = printable ? (char) b : (char) next++;
        }
        return symbols;
    }
}
