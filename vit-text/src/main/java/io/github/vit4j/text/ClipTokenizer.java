package io.github.vit4j.text;

import io.github.vit4j.format.ModelFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * CLIP's tokenizer: OpenAI's byte-level BPE ({@code clip/simple_tokenizer.py}) with the 77-position layout of
 * {@code clip.tokenize}, read from a model's {@code vocab.json} and {@code merges.txt} (Hugging Face's files) or from
 * OpenAI's {@code bpe_simple_vocab_16e6.txt.gz}.
 *
 * <pre>{@code
 * ClipTokenizer tokenizer = ClipTokenizer.fromFolder(Path.of("clip-vit-base-patch16"));
 * int[] ids = tokenizer.encode("a photo of a cat.");            // [320, 1125, 539, 320, 2368, 269]
 * long[][] inputIds = tokenizer.tokenize(List.of("a photo of a cat.", "a photo of a dog."));
 * // [[49406, 320, 1125, 539, 320, 2368, 269, 49407, 0, 0, ...], [...]]: 2 × 77
 * }</pre>
 *
 * <h2>What a text goes through</h2>
 * As in OpenAI's code: (1) {@code ftfy.fix_text}, see below; (2) HTML character references unescaped twice, as
 * Python's {@code html.unescape} does ({@code &amp;amp;} becomes {@code &}; all HTML5 names); (3) white space
 * stripped from both ends, every inner run of it made one space; (4) lower case, as Python's {@code str.lower()}
 * (İ becomes "i̇", a final Σ ς); (5) split by OpenAI's regex into the special tokens, the contractions
 * {@code 's 't 're 've 'm 'll 'd}, runs of letters, single digits and runs of other non-space characters (so
 * "3.14" is four pieces and "1,000" five); (6) each piece's UTF-8 bytes BPE-encoded with {@code </w>} marking its
 * end, merges applied lowest rank first. {@link #tokenize} then adds {@code <|startoftext|>} (49406) and
 * {@code <|endoftext|>} (49407) and pads with 0.
 *
 * <h2>Matches, and the one difference</h2>
 * The ids equal OpenAI's {@code clip.tokenize} for every text that {@code ftfy.fix_text} leaves as Unicode NFC
 * leaves it (checked on 568 strings run through the real tokenizer: ClipTokenizerCasesTest). OpenAI's first step,
 * {@code ftfy.fix_text}, repairs mojibake and more, and no JVM library does that; this class does what Hugging
 * Face's fast {@code CLIPTokenizer} does instead: Unicode NFC (after turning lone surrogates into U+FFFD, as ftfy
 * does). The texts that then differ are those ftfy changes beyond NFC:
 * <ul>
 *   <li>mojibake: {@code cafÃ©} (OpenAI reads {@code café}), {@code donâ€™t};</li>
 *   <li>curly quotes made straight: {@code it’s} is "it ’ s" here, "it 's" for OpenAI;</li>
 *   <li>ligatures split ({@code ﬁ}, {@code Ǆ}) and full- or half-width forms made normal ({@code ＡＢＣ},
 *       {@code ﾌﾟﾗﾝ}, {@code 。});</li>
 *   <li>control characters removed (escape sequences, NUL, DEL, C1 controls, U+001C), byte order marks
 *       removed;</li>
 *   <li>HTML unescaped a third time ({@code &amp;amp;amp;}): ftfy unescapes once itself.</li>
 * </ul>
 * Against Hugging Face's {@code CLIPTokenizer} (transformers 5, the tokenizers-backed one) the ids differ where it
 * departs from OpenAI: it does not unescape HTML, lower-cases Σ always to σ, takes {@code <|ENDOFTEXT|>} for the
 * special token, keeps U+001C..U+001F, and refuses lone surrogates.
 *
 * <h2>Limits</h2>
 * vocab.json and merges.txt up to 32 MiB each, 2<sup>20</sup> tokens of up to 1024 characters; ids must be whole
 * numbers from 0 to entries - 1, each used once; every token made of byte symbols; every merge's parts and result
 * in the vocabulary. Encoding a word of n bytes costs O(n²) as in OpenAI's code; up to 50,000 distinct words are
 * cached. Instances are immutable and safe to share between threads.
 *
 * <p>Unicode's tables are the JDK's (Unicode 13 in Java 17, 16 in Java 25): for every character the JDK knows, the
 * letter, digit and white-space classes agree with Python's {@code regex} module and the lower case with Python's
 * (checked over all code points: ClipTextCleaningTest); a character added to Unicode later is a non-letter here and
 * keeps its case. OpenAI's own results move with the installed {@code regex} and Python versions in the same way.
 */
public final class ClipTokenizer {

    /** The context length of every CLIP model: 77 token positions. */
    public static final int CONTEXT_LENGTH = 77;

    static final String START_OF_TEXT = "<|startoftext|>";
    static final String END_OF_TEXT = "<|endoftext|>";

    /** Hugging Face's file names, and OpenAI's. */
    static final String VOCAB_JSON = "vocab.json";
    static final String MERGES_TXT = "merges.txt";
    static final String OPENAI_BPE = "bpe_simple_vocab_16e6.txt.gz";

    private final Map<String, Integer> ids;
    private final String[] tokens;
    private final BytePairMerges merges;
    private final int startOfText;
    private final int endOfText;

    private ClipTokenizer(ClipVocabularyFiles.Vocabulary vocabulary, Path source) throws ModelFormatException {
        this.ids = new HashMap<>(vocabulary.ids());
        this.tokens = new String[ids.size()];
        for (Map.Entry<String, Integer> entry : ids.entrySet()) {
            String token = entry.getKey();
            for (int i = 0; i < token.length(); i++) {
                if (BytePairMerges.byteOf(token.charAt(i)) < 0) {
                    throw new ModelFormatException(source + ": token " + ClipVocabularyFiles.quote(token) + " (id "
                            + entry.getValue() + ") holds " + ClipVocabularyFiles.quote(String.valueOf(token.charAt(i)))
                            + ", which stands for no byte; a byte-level BPE token is made of byte symbols");
                }
            }
            tokens[entry.getValue()] = token;
        }
        Map<String, Integer> ranks = new HashMap<>();
        List<String[]> pairs = vocabulary.merges();
        for (int rank = pairs.size() - 1; rank >= 0; rank--) { // a pair listed twice keeps its first (lowest) rank
            ranks.put(BytePairMerges.pairKey(pairs.get(rank)[0], pairs.get(rank)[1]), rank);
        }
        this.merges = new BytePairMerges(ranks);
        this.startOfText = ids.get(START_OF_TEXT);
        this.endOfText = ids.get(END_OF_TEXT);
    }

    /**
     * The tokenizer of a model folder: its {@code vocab.json} and {@code merges.txt} (Hugging Face's layout), else
     * OpenAI's {@code bpe_simple_vocab_16e6.txt.gz}.
     *
     * @throws NoSuchFileException  when the folder has neither
     * @throws ModelFormatException naming the file and the value when a file is malformed or too large
     */
    public static ClipTokenizer fromFolder(Path folder) throws IOException {
        Path vocab = folder.resolve(VOCAB_JSON);
        Path mergesFile = folder.resolve(MERGES_TXT);
        if (Files.isRegularFile(vocab) || Files.isRegularFile(mergesFile)) {
            return fromFiles(vocab, mergesFile);
        }
        Path openAi = folder.resolve(OPENAI_BPE);
        if (Files.isRegularFile(openAi)) {
            return fromOpenAiBpe(openAi);
        }
        throw new NoSuchFileException(folder.toString(), null, "it holds neither " + VOCAB_JSON + " and "
                + MERGES_TXT + " (Hugging Face's CLIP tokenizer files) nor " + OPENAI_BPE + " (OpenAI's); a CLIP"
                + " tokenizer needs one of them");
    }

    /**
     * The tokenizer of a {@code vocab.json} (token to id) and a {@code merges.txt} (merges in rank order).
     *
     * @throws ModelFormatException naming the file and the value when a file is malformed, too large, or the two
     *                              do not fit together
     */
    public static ClipTokenizer fromFiles(Path vocabJson, Path mergesTxt) throws IOException {
        return new ClipTokenizer(ClipVocabularyFiles.read(vocabJson, mergesTxt), vocabJson);
    }

    /**
     * The tokenizer of OpenAI's {@code bpe_simple_vocab_16e6.txt.gz} (CLIP's repository, {@code clip/}), with the
     * vocabulary built from its first 48,894 merges as OpenAI builds it: the same ids as Hugging Face's files.
     *
     * @throws ModelFormatException naming the file when it is not a whole gzip file of merges
     */
    public static ClipTokenizer fromOpenAiBpe(Path bpeGz) throws IOException {
        return new ClipTokenizer(ClipVocabularyFiles.readOpenAiBpe(bpeGz), bpeGz);
    }

    /** The id of {@code <|startoftext|>}, first in every row of {@link #tokenize} (49406 in CLIP). */
    public int startOfText() {
        return startOfText;
    }

    /** The id of {@code <|endoftext|>}, after the text in every row of {@link #tokenize} (49407 in CLIP). */
    public int endOfText() {
        return endOfText;
    }

    /** The number of tokens (49,408 in CLIP). */
    public int vocabularySize() {
        return tokens.length;
    }

    /**
     * A text's BPE ids, without {@code <|startoftext|>} and {@code <|endoftext|>} (OpenAI's
     * {@code SimpleTokenizer.encode}); an empty or all-space text has none. The text {@code <|endoftext|>} itself
     * (any case) is the special token, as in OpenAI's code.
     */
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        int[] out = new int[16];
        int n = 0;
        for (String piece : ClipTextCleaning.preTokens(ClipTextCleaning.clean(text))) {
            String[] symbols = piece.equals(START_OF_TEXT) || piece.equals(END_OF_TEXT)
                    ? new String[] {piece} : merges.encode(BytePairMerges.byteEncode(piece));
            for (String symbol : symbols) {
                if (n == out.length) {
                    out = Arrays.copyOf(out, 2 * n);
                }
                out[n++] = ids.get(symbol);
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** {@link #tokenize(List, int, boolean) tokenize(texts, 77, false)}, as {@code clip.tokenize(texts)}. */
    public long[][] tokenize(List<String> texts) {
        return tokenize(texts, CONTEXT_LENGTH, false);
    }

    /**
     * The rows {@code clip.tokenize(texts, contextLength, truncate)} gives: each {@code <|startoftext|>}, the
     * text's ids, {@code <|endoftext|>}, then 0 up to {@code contextLength}. A text too long for that is cut when
     * {@code truncate}, its last position then {@code <|endoftext|>} again (as OpenAI's code does), else refused.
     *
     * @return [texts.size()][contextLength]
     * @throws IllegalArgumentException naming the text's index and token count when one is too long and
     *                                  {@code truncate} is false, or when {@code contextLength} is below 2
     */
    public long[][] tokenize(List<String> texts, int contextLength, boolean truncate) {
        if (contextLength < 2) {
            throw new IllegalArgumentException("contextLength " + contextLength + " leaves no room for"
                    + " <|startoftext|> and <|endoftext|>; CLIP models use " + CONTEXT_LENGTH);
        }
        long[][] rows = new long[texts.size()][contextLength];
        for (int t = 0; t < texts.size(); t++) {
            int index = t;
            String text = Objects.requireNonNull(texts.get(t), () -> "texts[" + index + "] is null");
            int[] ids = encode(text);
            int length = ids.length + 2;
            if (length > contextLength && !truncate) {
                throw new IllegalArgumentException("text " + t + " (" + ClipVocabularyFiles.quote(text) + ") is "
                        + length + " tokens with <|startoftext|> and <|endoftext|>, more than the context length "
                        + contextLength + "; shorten it, or call tokenize(texts, " + contextLength + ", true) to cut"
                        + " it (<|endoftext|> kept last)");
            }
            long[] row = rows[t];
            row[0] = startOfText;
            int kept = Math.min(ids.length, contextLength - 2);
            for (int i = 0; i < kept; i++) {
                row[i + 1] = ids[i];
            }
            row[Math.min(length, contextLength) - 1] = endOfText;
        }
        return rows;
    }

    /**
     * The text of some ids, as OpenAI's {@code SimpleTokenizer.decode}: the tokens' bytes as UTF-8 (a broken
     * sequence as U+FFFD), each {@code </w>} as a space; special tokens (and padding 0, "!") as they are spelled.
     *
     * @throws IllegalArgumentException naming an id outside the vocabulary
     */
    public String decode(int[] ids) {
        StringBuilder symbols = new StringBuilder();
        for (int id : ids) {
            if (id < 0 || id >= tokens.length) {
                throw new IllegalArgumentException("id " + id + " is not in the vocabulary (ids 0 to "
                        + (tokens.length - 1) + ")");
            }
            symbols.append(tokens[id]);
        }
        byte[] bytes = new byte[symbols.length()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) BytePairMerges.byteOf(symbols.charAt(i));
        }
        return new String(bytes, StandardCharsets.UTF_8).replace(BytePairMerges.END_OF_WORD, " ");
    }
}
