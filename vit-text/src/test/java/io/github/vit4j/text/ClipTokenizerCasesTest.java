package io.github.vit4j.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.vit4j.SharedAssets;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 568 strings run through OpenAI's real tokenizer and Hugging Face's (clip_tokenizer_cases.jsonl, made by
 * src/test/python/make_clip_tokenizer_cases.py): accents in NFC and NFD, apostrophes, digits, emoji sequences, CJK,
 * Arabic, Devanagari, HTML entities, white space of every kind, mojibake, texts of more than 77 tokens. Ids must be
 * equal, exactly. Where ftfy changes a text beyond NFC, OpenAI's ids differ: each such string is listed below with
 * the reason, and the test fails on any other difference.
 */
class ClipTokenizerCasesTest {

    /** The texts whose ids differ from OpenAI's, and what ftfy.fix_text does to them that NFC does not. */
    static final Map<String, String> FTFY_DIFFERENCES = Map.ofEntries(
            Map.entry("\u0085", "a C1 control read as windows-1252: …"),
            Map.entry("a\u001cb", "a control character removed"),
            Map.entry("byte\ufefforder mark", "a byte order mark removed"),
            Map.entry("\ufeffstarts with BOM", "a byte order mark removed"),
            Map.entry("it\u2019s", "curly apostrophe made straight: 's is one token"),
            Map.entry("don\u2019t", "curly apostrophe made straight"),
            Map.entry("the cat\u2019s toy", "curly apostrophe made straight"),
            Map.entry("\u2018single curly\u2019", "curly quotes made straight"),
            Map.entry("\u201cdouble curly\u201d", "curly quotes made straight"),
            Map.entry("it\u02bcs", "modifier letter apostrophe made straight"),
            Map.entry("\u201e\u201c", "curly quotes made straight"),
            Map.entry("a photo of a \u201cStop\u201d sign & a \u2018Yield\u2019 sign \u2014 both bent.", "curly quotes made straight"),
            Map.entry("\u2019sTree\u2019sTREE", "curly apostrophes made straight"),
            Map.entry("...Na\u00efve\u2019sna\u00efve", "curly apostrophe made straight"),
            Map.entry("'s\u0642\u0637\u0629\u2019s\u0642\u0637\u0629", "curly apostrophe made straight"),
            Map.entry("42\u2019s42.", "curly apostrophe made straight"),
            Map.entry("\uff11\uff12\uff13", "full-width digits made normal"),
            Map.entry("\uff21\uff22\uff23", "full-width letters made normal"),
            Map.entry("\uff41\uff42\uff43", "full-width letters made normal"),
            Map.entry("\u3002\u3001\uff01", "full-width ! made normal"),
            Map.entry("\uff8c\uff9f\uff97\uff9d", "half-width katakana made normal"),
            Map.entry("\u01c5", "the ligature Dž split"),
            Map.entry("\u01c4", "the ligature DŽ split"),
            Map.entry("\ufb01ne", "the ligature fi split"),
            Map.entry("\ufb00", "the ligature ff split"),
            Map.entry("\ufb03", "the ligature ffi split"),
            Map.entry("\u0903\u0132\u030d\u00f5\u06d9\u0149\u06e3#\u0470", "the ligatures IJ and ŉ split"),
            Map.entry("\u065a\u4e32\u0133\u4e6cy\u0343\u0160\uacae\u0301\u03b7\u06c7\u00a0", "the ligature ij split"),
            Map.entry("<\u01491\u00d9\u30c6f\u0934\u06d8", "the ligature ŉ split"),
            Map.entry("\uace4\u3095\u0455\uac1c\u4e2d\uac0c\u059f\u0647\u062d\uaccd\u206e\u2008", "a deprecated format character removed"),
            Map.entry("&amp;amp;amp;", "HTML unescaped a third time"),
            Map.entry("caf\u00c3\u00a9", "mojibake repaired: café"),
            Map.entry("\u00c3\u00a9t\u00c3\u00a9", "mojibake repaired"),
            Map.entry("\u00c3\u00a0 la carte", "mojibake repaired"),
            Map.entry("\u00e2\u20ac\u0153quoted\u00e2\u20ac\u009d", "mojibake repaired"),
            Map.entry("don\u00e2\u20ac\u2122t", "mojibake repaired"),
            Map.entry("\u00e2\u0080\u0099", "mojibake repaired"),
            Map.entry("The Mona Lisa doesn\u00c3\u00a2\u00e2\u201a\u00ac\u00e2\u201e\u00a2t have eyebrows.", "mojibake repaired (twice encoded)"),
            Map.entry("\u00ef\u00bb\u00bfbom", "mojibake of a byte order mark removed"),
            Map.entry("sch\u00c3\u00b6n", "mojibake repaired"),
            Map.entry("\u00c3\u00bcber", "mojibake repaired"),
            Map.entry("\u00c3\u0153ber", "mojibake repaired"),
            Map.entry("\u00d0\u009f\u00d1\u0080\u00d0\u00b8\u00d0\u00b2\u00d0\u00b5\u00d1\u0082", "mojibake repaired: Привет"),
            Map.entry("\u001b[36mcolored\u001b[0m", "terminal escapes removed"),
            Map.entry("bell\u0007char", "a control character removed"),
            Map.entry("null\u0000char", "a control character removed"),
            Map.entry("c1\u0080control", "a C1 control read as windows-1252: €"),
            Map.entry("del\u007fchar", "a control character removed"));

    /** The texts (besides those with HTML references, which it leaves) where Hugging Face's CLIPTokenizer differs. */
    static final Map<String, String> HUGGING_FACE_DIFFERENCES = Map.ofEntries(
            Map.entry("\u001c\u001d\u001e\u001f", "it keeps U+001C..U+001F, which Python's strip() removes"),
            Map.entry("\u001ca photo\u001f", "it keeps U+001C..U+001F"),
            Map.entry("'\u017f", "its regex is not case-insensitive: 'ſ is no contraction"),
            Map.entry("x'\u017f", "its regex is not case-insensitive"),
            Map.entry("'\u017fe", "its regex is not case-insensitive"),
            Map.entry("<|\u017ftartoftext|>", "its regex is not case-insensitive"),
            Map.entry("a\u0345b", "its regex is not case-insensitive: U+0345 is no letter"),
            Map.entry("\u0345", "its regex is not case-insensitive"),
            Map.entry("\u039f\u0394\u039f\u03a3", "it lower-cases a final Σ to σ, Python to ς"),
            Map.entry("\u039f\u0394\u039f\u03a3.", "final Σ"),
            Map.entry("\u03a3\u03a3", "final Σ"),
            Map.entry("\u0391\u03a3", "final Σ"),
            Map.entry("\u0391\u03a3 \u0391\u03a3", "final Σ"),
            Map.entry("\u0391\u03a3\u0301", "final Σ"),
            Map.entry("\u0391\u03a3\u00ad", "final Σ"),
            Map.entry("\u0391.\u03a3", "final Σ"),
            Map.entry("<|ENDOFTEXT|>", "it finds its special tokens before lower-casing"),
            Map.entry("\ud83d", "it refuses lone surrogates"),
            Map.entry("lone\udc00surrogate", "it refuses lone surrogates"));

    static List<JsonNode> cases;
    static ClipTokenizer tokenizer;

    @BeforeAll
    static void readCases() throws IOException {
        tokenizer = ClipTokenizer.fromFolder(SharedAssets.resolve("models/families/clip-tiny"));
        cases = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(
                ClipTokenizerCasesTest.class.getResourceAsStream("clip_tokenizer_cases.jsonl"), StandardCharsets.UTF_8))) {
            lines.readLine(); // the versions
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                cases.add(json.readTree(line));
            }
        }
        assertEquals(568, cases.size());
    }

    static int[] ids(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }

    @Test
    void everyStringGivesOpenAisIdsWithNfcInPlaceOfFtfy() {
        Map<String, String> wrong = new TreeMap<>();
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            int[] expected = ids(c.get("nfc"));
            int[] actual = tokenizer.encode(text);
            if (!java.util.Arrays.equals(expected, actual)) {
                wrong.put(ClipVocabularyFiles.quote(text), java.util.Arrays.toString(actual) + " instead of "
                        + java.util.Arrays.toString(expected));
            }
        }
        assertEquals(Map.of(), wrong);
    }

    @Test
    void theIdsDifferFromOpenAisExactlyWhereFtfyChangesMoreThanNfcAndEachIsListed() {
        Map<String, String> differing = new LinkedHashMap<>();
        for (JsonNode c : cases) {
            if (!c.get("openai").equals(c.get("nfc"))) {
                assertTrue(c.get("ftfy_changes").asBoolean(), c.get("text").asText());
                differing.put(c.get("text").asText(), FTFY_DIFFERENCES.getOrDefault(c.get("text").asText(), "?"));
            }
        }
        assertEquals(new TreeMap<>(FTFY_DIFFERENCES), new TreeMap<>(differing));
    }

    @Test
    void huggingFaceGivesTheSameIdsExceptWhereItIsListedAsDeparting() {
        Map<String, String> differing = new LinkedHashMap<>();
        int withHtml = 0;
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            if (!c.get("hf").equals(c.get("nfc"))) {
                if (text.contains("&")) {
                    withHtml++; // it does not unescape HTML
                } else {
                    differing.put(text, HUGGING_FACE_DIFFERENCES.getOrDefault(text, "?"));
                }
            }
        }
        assertEquals(new TreeMap<>(HUGGING_FACE_DIFFERENCES), new TreeMap<>(differing));
        assertEquals(64, withHtml);
    }

    @Test
    void decodeGivesWhatOpenAisDecodeGives() {
        for (JsonNode c : cases) {
            int[] ids = ids(c.get("nfc"));
            assertEquals(c.get("decoded").asText(), tokenizer.decode(ids), c.get("text").asText());
            assertEquals(c.get("decoded_first").asText(), tokenizer.decode(java.util.Arrays.copyOf(ids,
                    Math.min(1, ids.length))), c.get("text").asText());
        }
    }

    @Test
    void longTextsAreCutAsClipTokenizeCutsThemWithEndOfTextLast() {
        int long_ = 0;
        for (JsonNode c : cases) {
            if (c.has("row")) {
                long_++;
                long[] expected = StreamSupport.stream(c.get("row").spliterator(), false)
                        .mapToLong(JsonNode::asLong).toArray();
                long[] row = tokenizer.tokenize(List.of(c.get("text").asText()), 77, true)[0];
                assertArrayEquals(expected, row, c.get("text").asText());
                assertEquals(tokenizer.endOfText(), row[76]);
            }
        }
        assertEquals(5, long_);
    }
}
