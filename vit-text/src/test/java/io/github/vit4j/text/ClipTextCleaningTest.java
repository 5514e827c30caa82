package io.github.vit4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The steps before BPE, each against what Python gives (python3.11, regex 2026.9.29). */
class ClipTextCleaningTest {

    @Test
    void pythonsIsspaceIsWhiteSpaceAndTheFourInformationSeparators() {
        Pattern whiteSpace = Pattern.compile("\\p{IsWhite_Space}");
        for (int c = 0; c <= Character.MAX_CODE_POINT; c++) {
            boolean separator = c >= 0x1C && c <= 0x1F;
            boolean white = whiteSpace.matcher(new String(Character.toChars(c))).matches();
            assertEquals(white || separator, ClipTextCleaning.isPythonSpace(c), Integer.toHexString(c));
        }
        assertEquals("a\u001cb", ClipTextCleaning.pythonStrip("\u001c\u3000a\u001cb\u0085\u001f"));
    }

    @Test
    void lowerCaseIsPythonsWithDottedCapitalIAndFinalSigma() {
        assertEquals("i\u0307stanbul", ClipTextCleaning.lower("\u0130STANBUL"));
        assertEquals("\u03bf\u03b4\u03bf\u03c2", ClipTextCleaning.lower("\u039f\u0394\u039f\u03a3")); // ΟΔΟΣ: οδος
        assertEquals("\u03c3", ClipTextCleaning.lower("\u03a3")); // nothing cased before it
        assertEquals("\u03c3\u03b1", ClipTextCleaning.lower("\u03a3\u0391"));
        assertEquals("\u03b1\u03c3'\u03b1", ClipTextCleaning.lower("\u0391\u03a3'\u0391")); // ' is case-ignorable
        assertEquals("\u03b1.\u03c2", ClipTextCleaning.lower("\u0391.\u03a3"));
        assertEquals("\u03b1\u03c2 \u03b1\u03c2", ClipTextCleaning.lower("\u0391\u03a3 \u0391\u03a3"));
        assertEquals("\ud801\udc28", ClipTextCleaning.lower("\ud801\udc00")); // Deseret, outside the BMP
    }

    @Test
    void cleaningUnescapesTwiceStripsJoinsSpacesAndLowerCases() {
        assertEquals("a & b", ClipTextCleaning.clean("  A &amp;amp; B\t"));
        assertEquals("caf\u00e9 au lait", ClipTextCleaning.clean("Cafe\u0301\n\n au\u00a0LAIT "));
        assertEquals("", ClipTextCleaning.clean(" \t\u3000 "));
        assertEquals("\uFFFD x", ClipTextCleaning.clean("\ud83d x"));
    }

    @Test
    void theRegexSplitsContractionsLettersSingleDigitsAndOtherRuns() {
        assertEquals(List.of("it", "'s", "3", ".", "1", "4", "!?", "<|endoftext|>", "x"),
                ClipTextCleaning.preTokens("it's 3.14 !? <|endoftext|>x"));
        // as in Python: a run of punctuation swallows the start of a special token that follows it
        assertEquals(List.of("!?<|", "endoftext", "|>"), ClipTextCleaning.preTokens("!?<|endoftext|>"));
        assertEquals(List.of("'\u017f"), ClipTextCleaning.preTokens("'\u017f")); // 's matches 'ſ ignoring case
        assertEquals(List.of("a", "b"), ClipTextCleaning.preTokens("a\u0345b")); // U+0345 matches nothing
        assertEquals(List.of("\ud83d\udc4d\ud83c\udffd"), ClipTextCleaning.preTokens("\ud83d\udc4d\ud83c\udffd"));
        assertEquals(List.of("\ud835\udfd9"), ClipTextCleaning.preTokens("\ud835\udfd9")); // 𝟙 is one digit
    }
}
