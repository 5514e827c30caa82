package io.github.vit4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /**
     * Over every code point that both the JDK and Python know (python_unicode_tables.txt, written by the cases'
     * generator): the regex puts it in the same class as Python's {@code regex} module (letter, digit, white space,
     * other) and {@code lower} maps it as {@code str.lower()} does. Characters newer than the JDK's Unicode tables
     * (Unicode 13 in Java 17, 16 in Java 25; the {@code regex} module of the cases has 17) are the known exception.
     */
    @Test
    void everyCharacterBothKnowIsClassedAndLowerCasedAsPythonDoes() throws IOException {
        List<int[]> classRuns = new ArrayList<>();
        List<String> runClasses = new ArrayList<>();
        BitSet pythonUnassigned = new BitSet();
        Map<Integer, String> pythonLower = new HashMap<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(
                getClass().getResourceAsStream("python_unicode_tables.txt"), StandardCharsets.US_ASCII))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "class" -> {
                        classRuns.add(new int[] {Integer.parseInt(f[1], 16), Integer.parseInt(f[2], 16)});
                        runClasses.add(f[3]);
                    }
                    case "unassigned" -> pythonUnassigned.set(Integer.parseInt(f[1], 16), Integer.parseInt(f[2], 16) + 1);
                    case "lower" -> {
                        StringBuilder lower = new StringBuilder();
                        for (int i = 2; i < f.length; i++) {
                            lower.appendCodePoint(Integer.parseInt(f[i], 16));
                        }
                        pythonLower.put(Integer.parseInt(f[1], 16), lower.toString());
                    }
                    default -> { } // the versions
                }
            }
        }
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (int r = 0; r < classRuns.size(); r++) {
            for (int c = classRuns.get(r)[0]; c <= classRuns.get(r)[1]; c++) {
                if (Character.getType(c) == Character.UNASSIGNED || Character.getType(c) == Character.SURROGATE
                        || c == 0x0345) { // U+0345: its own test above
                    continue;
                }
                checked++;
                String expected = runClasses.get(r);
                String actual = regexClass(c);
                if (!expected.equals(actual) && wrong.size() < 20) {
                    wrong.add(Integer.toHexString(c) + ": " + actual + ", Python " + expected);
                }
                if (!pythonUnassigned.get(c)) {
                    String one = new String(Character.toChars(c));
                    String lower = ClipTextCleaning.lower(one);
                    if (!lower.equals(pythonLower.getOrDefault(c, one)) && wrong.size() < 20) {
                        wrong.add(Integer.toHexString(c) + " lower-cased: " + lower);
                    }
                }
            }
        }
        assertEquals(List.of(), wrong);
        assertEquals(true, checked > 140_000, "characters checked: " + checked);
    }

    /** L, N, S or O: which of the regex's classes a character falls in, seen through {@code preTokens}. */
    private static String regexClass(int c) {
        String one = new String(Character.toChars(c));
        if (ClipTextCleaning.preTokens(one).isEmpty()) {
            return "S";
        }
        if (ClipTextCleaning.preTokens("x" + one).size() == 1) {
            return "L";
        }
        return ClipTextCleaning.preTokens(one + one).size() == 2 ? "N" : "O";
    }
}
