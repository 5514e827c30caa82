package io.github.vit4j.text;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What OpenAI's {@code simple_tokenizer.py} does to a text before BPE, with Python's definitions reproduced where
 * Java's differ:
 * <ol>
 *   <li>{@code basic_clean}: {@code ftfy.fix_text} (here: lone surrogates to U+FFFD, then Unicode NFC, see
 *       {@link ClipTokenizer}), {@link HtmlUnescape Python's html.unescape} twice, {@code str.strip()};</li>
 *   <li>{@code whitespace_clean}: every run of {@code \s} to one space, {@code strip()};</li>
 *   <li>{@code str.lower()};</li>
 *   <li>{@link #preTokens}: the pieces its regex finds.</li>
 * </ol>
 * Python's {@code str.strip()} removes what {@code str.isspace()} accepts: Unicode's White_Space characters and also
 * U+001C..U+001F, which the {@code regex} module's {@code \s} (White_Space only) leaves. {@code str.lower()} maps
 * each code point by Unicode's full lower-case mapping (İ to "i̇", two characters) and Σ by the Final_Sigma rule
 * (σ, or ς after a cased letter and not before one, case-ignorable characters skipped both ways); Java's
 * {@code toLowerCase} decides final sigma by word boundaries instead, so this class lower-cases by itself.
 */
final class ClipTextCleaning {

    /** Python {@code regex}'s {@code \s}: Unicode White_Space (Java's {@code \s} is ASCII only). */
    private static final String WHITE_SPACE = "\\p{IsWhite_Space}";

    private static final Pattern WHITE_SPACE_RUN = Pattern.compile(WHITE_SPACE + "+");

    /**
     * OpenAI's pattern: the two special tokens, the English contractions, a run of letters, one digit, or a run of
     * anything else but white space. Python compiles it with IGNORECASE, which matters on lower-cased text only for
     * the literals ({@code 's} matches {@code 'ſ}, long s) and for U+0345, a combining mark whose upper case is the
     * letter Ι: the {@code regex} module then takes it out of the class of non-letters but not into that of letters,
     * so it matches nothing and is dropped. Hence the case-insensitive group, and U+0345 in the last class.
     */
    private static final Pattern PRE_TOKEN = Pattern.compile(
            "(?iu:<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d)"
                    + "|\\p{L}+|\\p{N}|[^" + WHITE_SPACE + "\\p{L}\\p{N}\\u0345]+");

    private ClipTextCleaning() {
    }

    /** {@code whitespace_clean(basic_clean(text)).lower()} with NFC for ftfy. */
    static String clean(String text) {
        String fixed = Normalizer.normalize(replaceLoneSurrogates(text), Normalizer.Form.NFC);
        String unescaped = HtmlUnescape.unescape(HtmlUnescape.unescape(fixed));
        String spaced = WHITE_SPACE_RUN.matcher(pythonStrip(unescaped)).replaceAll(" ");
        return lower(pythonStrip(spaced));
    }

    /** The pieces of a cleaned text that BPE encodes one by one ({@code re.findall(self.pat, text)}). */
    static List<String> preTokens(String cleaned) {
        List<String> pieces = new ArrayList<>();
        Matcher piece = PRE_TOKEN.matcher(cleaned);
        while (piece.find()) {
            pieces.add(piece.group());
        }
        return pieces;
    }

    /** Unpaired surrogates become U+FFFD (as ftfy does; they have no UTF-8 form). */
    static String replaceLoneSurrogates(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1));
            if (paired) {
                if (out != null) {
                    out.append(c).append(text.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (out == null) {
                    out = new StringBuilder(text.length()).append(text, 0, i);
                }
                out.append('\uFFFD');
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    /** Python's {@code str.isspace()} for one code point: White_Space, or U+001C..U+001F. */
    static boolean isPythonSpace(int codePoint) {
        return (codePoint >= 0x1C && codePoint <= 0x1F) || isWhiteSpace(codePoint);
    }

    private static boolean isWhiteSpace(int codePoint) {
        return switch (codePoint) {
            case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> codePoint >= 0x2000 && codePoint <= 0x200A;
        };
    }

    /** Python's {@code str.strip()}: {@link #isPythonSpace} characters removed from both ends. */
    static String pythonStrip(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && isPythonSpace(text.codePointAt(start))) {
            start += Character.charCount(text.codePointAt(start));
        }
        while (end > start && isPythonSpace(text.codePointBefore(end))) {
            end -= Character.charCount(text.codePointBefore(end));
        }
        return text.substring(start, end);
    }

    /** Python's {@code str.lower()} (class comment). */
    static String lower(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            if (c == 0x0130) { // İ: its full lower-case mapping, i and a combining dot above
                out.append("i\u0307");
            } else if (c == 0x03A3) {
                out.append(isFinalSigma(text, i) ? '\u03C2' : '\u03C3');
            } else {
                out.appendCodePoint(Character.toLowerCase(c));
            }
            i += Character.charCount(c);
        }
        return out.toString();
    }

    /** Unicode's Final_Sigma condition for the Σ at {@code index}, as CPython tests it. */
    private static boolean isFinalSigma(String text, int index) {
        int before = index;
        int c = -1;
        while (before > 0) {
            c = text.codePointBefore(before);
            before -= Character.charCount(c);
            if (!isCaseIgnorable(c)) {
                break;
            }
            c = -1;
        }
        if (c < 0 || !isCased(c)) {
            return false;
        }
        for (int after = index + 1; after < text.length(); ) {
            c = text.codePointAt(after);
            if (!isCaseIgnorable(c)) {
                return !isCased(c);
            }
            after += Character.charCount(c);
        }
        return true;
    }

    /** Unicode's Cased: lower, upper or title case letters and the Other_Lowercase/Other_Uppercase characters. */
    private static boolean isCased(int c) {
        return Character.isLowerCase(c) || Character.isUpperCase(c) || Character.isTitleCase(c);
    }

    /**
     * Unicode's Case_Ignorable: nonspacing, enclosing and format marks, modifier letters and symbols, and the
     * Word_Break classes MidLetter, MidNumLet and Single_Quote (apostrophes, periods, colons, middle dots).
     */
    private static boolean isCaseIgnorable(int c) {
        switch (Character.getType(c)) {
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.FORMAT, Character.MODIFIER_LETTER,
                    Character.MODIFIER_SYMBOL:
                return true;
            default:
                break;
        }
        return switch (c) {
            case '\'', '.', ':', 0x00B7, 0x0387, 0x055F, 0x05F4, 0x2018, 0x2019, 0x2024, 0x2027, 0xFE13, 0xFE52,
                    0xFE55, 0xFF07, 0xFF0E, 0xFF1A -> true;
            default -> false;
        };
    }
}
