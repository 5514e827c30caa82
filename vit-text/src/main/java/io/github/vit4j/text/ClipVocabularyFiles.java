package io.github.vit4j.text;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.github.vit4j.format.ModelFormatException;
import java.io.ByteArrayInputStream;
import java.io.CharConversionException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Readers of a byte-level BPE vocabulary: Hugging Face's {@code vocab.json} (token to id) with {@code merges.txt}
 * (one merge "a b" a line, after a {@code #version} line, in rank order), or OpenAI's
 * {@code bpe_simple_vocab_16e6.txt.gz} (merges only: the vocabulary is built from them as OpenAI does). Every limit
 * is checked before memory is spent: file sizes, token lengths, entry counts; ids must be integers in
 * [0, entries), each used once; every merge's parts and result must be tokens.
 */
final class ClipVocabularyFiles {

    /** The largest vocab.json or merges.txt read (CLIP's are 1.0 MB and 0.5 MB). */
    static final long MAX_FILE_BYTES = 32L << 20;

    /** The most tokens a vocabulary may have (CLIP: 49,408). */
    static final int MAX_TOKENS = 1 << 20;

    /** The longest token, in characters (CLIP's longest: 34). */
    static final int MAX_TOKEN_CHARS = 1024;

    /** What OpenAI's tokenizer reads of its merges file: lines 1 to 48,894 (49,152 - 256 - 2). */
    static final int OPENAI_MERGES = 49_152 - 256 - 2;

    /** A vocabulary: token to id, and the merges in rank order. */
    record Vocabulary(Map<String, Integer> ids, List<String[]> merges) {
    }

    private ClipVocabularyFiles() {
    }

    /** Reads {@code vocab.json} and {@code merges.txt}, checks them against each other and the byte alphabet. */
    static Vocabulary read(Path vocabJson, Path mergesTxt) throws IOException {
        Map<String, Integer> ids = readVocabJson(vocabJson);
        List<String[]> merges = readMerges(mergesTxt, text(mergesTxt, readBounded(mergesTxt)), Integer.MAX_VALUE, false);
        Vocabulary vocabulary = new Vocabulary(ids, merges);
        check(vocabulary, vocabJson, mergesTxt);
        return vocabulary;
    }

    /**
     * Reads OpenAI's gzip'd merges file and builds the vocabulary as {@code SimpleTokenizer.__init__} does: the 256
     * byte symbols (those that stand for themselves first, in {@code bytes_to_unicode}'s order), the same with
     * {@code </w>}, each merge's result in rank order, then {@code <|startoftext|>} and
     * {@code <|endoftext|>} (49,408 tokens for CLIP's file). Only its first {@link #OPENAI_MERGES} merges count.
     */
    static Vocabulary readOpenAiBpe(Path gzFile) throws IOException {
        byte[] bytes;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(readBounded(gzFile)))) {
            bytes = in.readNBytes((int) MAX_FILE_BYTES + 1);
        } catch (ZipException | EOFException e) {
            throw new ModelFormatException(gzFile + " is not a whole gzip file (" + e.getMessage() + "); OpenAI's"
                    + " CLIP ships it as clip/bpe_simple_vocab_16e6.txt.gz", e);
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new ModelFormatException(gzFile + " unpacks to more than " + MAX_FILE_BYTES + " bytes ("
                    + (MAX_FILE_BYTES >> 20) + " MiB); is it the right file?");
        }
        List<String[]> merges = readMerges(gzFile, text(gzFile, bytes), OPENAI_MERGES, true);
        Map<String, Integer> ids = new LinkedHashMap<>();
        int[] order = BytePairMerges.bytesInVocabularyOrder();
        for (int b : order) {
            ids.put(String.valueOf(BytePairMerges.byteSymbol(b)), ids.size());
        }
        for (int b : order) {
            ids.put(BytePairMerges.byteSymbol(b) + BytePairMerges.END_OF_WORD, ids.size());
        }
        for (String[] merge : merges) {
            if (ids.putIfAbsent(merge[0] + merge[1], ids.size()) != null) {
                throw new ModelFormatException(gzFile + ": the merge " + quote(merge[0] + " " + merge[1]) + " makes "
                        + quote(merge[0] + merge[1]) + ", which an earlier merge already made; is it CLIP's BPE file?");
            }
        }
        ids.put(ClipTokenizer.START_OF_TEXT, ids.size());
        ids.put(ClipTokenizer.END_OF_TEXT, ids.size());
        Vocabulary vocabulary = new Vocabulary(ids, merges);
        check(vocabulary, gzFile, gzFile);
        return vocabulary;
    }

    /** Reads a {@code vocab.json}: one JSON object of token to integer id, ids in [0, entries) and distinct. */
    static Map<String, Integer> readVocabJson(Path file) throws IOException {
        byte[] bytes = readBounded(file);
        JsonFactory json = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(MAX_TOKEN_CHARS * 6)
                        .maxNestingDepth(2).maxNumberLength(12).build())
                .build();
        Map<String, Integer> ids = new HashMap<>();
        Map<Integer, String> tokens = new HashMap<>();
        try (JsonParser parser = json.createParser(bytes)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new ModelFormatException(file + " is not a JSON object of token to id (it starts with "
                        + parser.currentToken() + "); a Hugging Face vocab.json is {\"!\": 0, ...}");
            }
            for (JsonToken next = parser.nextToken(); next != JsonToken.END_OBJECT; next = parser.nextToken()) {
                String token = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value != JsonToken.VALUE_NUMBER_INT) {
                    throw new ModelFormatException(file + ": the id of token " + quote(token) + " is "
                            + (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY ? value
                            : quote(parser.getText())) + ", not a whole number; a vocab.json maps tokens to ids");
                }
                if (token.length() > MAX_TOKEN_CHARS || token.isEmpty()) {
                    throw new ModelFormatException(file + ": a token of " + token.length() + " characters (id "
                            + parser.getText() + "); tokens have 1 to " + MAX_TOKEN_CHARS);
                }
                if (ids.size() == MAX_TOKENS) {
                    throw new ModelFormatException(file + " has more than " + MAX_TOKENS + " tokens; is it a"
                            + " vocab.json?");
                }
                long id = parser.getLongValue();
                if (id < 0 || id >= MAX_TOKENS) {
                    throw new ModelFormatException(file + ": token " + quote(token) + " has id " + id
                            + ", outside 0.." + (MAX_TOKENS - 1));
                }
                if (ids.containsKey(token)) {
                    throw new ModelFormatException(file + ": token " + quote(token) + " is listed twice (ids "
                            + ids.get(token) + " and " + id + "); each token has one id");
                }
                String earlier = tokens.putIfAbsent((int) id, token);
                if (earlier != null) {
                    throw new ModelFormatException(file + ": tokens " + quote(earlier) + " and " + quote(token)
                            + " both have id " + id + "; each id names one token");
                }
                ids.put(token, (int) id);
            }
            if (parser.nextToken() != null) {
                throw new ModelFormatException(file + " goes on after its JSON object (at line "
                        + parser.currentLocation().getLineNr() + "); a vocab.json is one object");
            }
        } catch (StreamConstraintsException e) {
            throw new ModelFormatException(file + " breaks a limit of the vocab.json reader: " + e.getOriginalMessage(), e);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file + " is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"), e);
        } catch (CharConversionException e) { // Jackson guessed UTF-16 or UTF-32 from the first bytes
            throw new ModelFormatException(file + " is not UTF-8 JSON: " + e.getMessage() + "; save it as UTF-8", e);
        }
        for (Map.Entry<String, Integer> entry : ids.entrySet()) {
            if (entry.getValue() >= ids.size()) {
                throw new ModelFormatException(file + ": token " + quote(entry.getKey()) + " has id "
                        + entry.getValue() + ", but the file has " + ids.size() + " tokens: ids run from 0 to "
                        + (ids.size() - 1) + ", each used once");
            }
        }
        return ids;
    }

    /**
     * The merges of a merges file's text: "a b" lines, at most {@code limit} of them, after its first line when
     * {@code skipFirstLine} (OpenAI's file starts {@code "bpe_simple_vocab_16e6.txt#version: 0.2}) or when that
     * starts with {@code #version} (Hugging Face's); a last empty line (the final newline) is no merge.
     */
    static List<String[]> readMerges(Path file, String text, int limit, boolean skipFirstLine)
            throws ModelFormatException {
        List<String[]> merges = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length && merges.size() < limit; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if ((i == 0 && (skipFirstLine || line.startsWith("#version"))) || (line.isEmpty() && i == lines.length - 1)) {
                continue;
            }
            String[] parts = line.split(" ", -1);
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()
                    || line.length() > 2 * MAX_TOKEN_CHARS) {
                throw new ModelFormatException(file + ", line " + (i + 1) + ": " + quote(line.length() > 80
                        ? line.substring(0, 80) + "..." : line) + " is not a merge; each line holds two symbols"
                        + " separated by one space (\"t h\")");
            }
            merges.add(parts);
        }
        return merges;
    }

    /** The merges and the byte alphabet against the vocabulary; the two special tokens present. */
    private static void check(Vocabulary vocabulary, Path vocabFile, Path mergesFile) throws ModelFormatException {
        Map<String, Integer> ids = vocabulary.ids();
        for (int b = 0; b < 256; b++) {
            for (String symbol : new String[] {String.valueOf(BytePairMerges.byteSymbol(b)),
                    BytePairMerges.byteSymbol(b) + BytePairMerges.END_OF_WORD}) {
                if (!ids.containsKey(symbol)) {
                    throw new ModelFormatException(vocabFile + " lacks the token " + quote(symbol) + " (byte " + b
                            + "): a byte-level BPE vocabulary holds every byte, alone and with </w>; is it CLIP's?");
                }
            }
        }
        for (String special : new String[] {ClipTokenizer.START_OF_TEXT, ClipTokenizer.END_OF_TEXT}) {
            if (!ids.containsKey(special)) {
                throw new ModelFormatException(vocabFile + " lacks the special token " + special
                        + "; CLIP's vocabulary ends with <|startoftext|> and <|endoftext|>");
            }
        }
        List<String[]> merges = vocabulary.merges();
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] merge = merges.get(rank);
            for (String symbol : new String[] {merge[0], merge[1], merge[0] + merge[1]}) {
                if (!ids.containsKey(symbol)) {
                    throw new ModelFormatException(mergesFile + ": merge " + (rank + 1) + " (" + quote(merge[0] + " "
                            + merge[1]) + ") needs the token " + quote(symbol) + ", which " + vocabFile
                            + " lacks; are the two files of the same model?");
                }
            }
        }
    }

    /** The bytes of a file of at most {@link #MAX_FILE_BYTES}, refused by its size before it is read. */
    static byte[] readBounded(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null,
                    "a CLIP tokenizer needs it (vocab.json and merges.txt beside the model)");
        }
        long size = Files.size(file);
        byte[] bytes = new byte[0];
        if (size <= MAX_FILE_BYTES) {
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes((int) MAX_FILE_BYTES + 1); // the file may have grown since
            }
            size = Math.max(size, bytes.length);
        }
        if (size > MAX_FILE_BYTES) {
            throw new ModelFormatException(file + " is " + size + " bytes, more than the " + MAX_FILE_BYTES
                    + " bytes (" + (MAX_FILE_BYTES >> 20) + " MiB) a tokenizer file may have; is it the right file?");
        }
        return bytes;
    }

    private static String text(Path file, byte[] bytes) throws ModelFormatException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file + " is not UTF-8 text (" + e + "); save it as UTF-8", e);
        }
    }

    /** A token for a message: quoted, with control characters escaped, cut after 40 characters. */
    static String quote(String token) {
        StringBuilder out = new StringBuilder("\"");
        token.codePoints().limit(40).forEach(c -> {
            if (Character.isISOControl(c) || c == '"' || c == '\\') {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.append(token.codePointCount(0, token.length()) > 40 ? "...\"" : "\"").toString();
    }
}
