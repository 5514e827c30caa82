package io.github.vit4j.cli;

import java.util.Locale;

/**
 * Text from files and servers (class names, tensor names, image file names, shard names, exception messages) made
 * safe to print: control characters cannot break a line or drive the terminal, bidirectional controls cannot
 * reorder what is shown, and list items stay unambiguous.
 *
 * <p>Bidirectional controls are escaped, not passed through: a name such as {@code cat\u202Egnp.exe} would show
 * as {@code catexe.png}, the reordering trick of "Trojan Source" (CVE-2021-42574). Letters of any script,
 * combining marks and emoji (joiners included) are kept.
 */
final class TerminalText {

    private TerminalText() {
    }

    /**
     * {@code s} with every control character written as a backslash sequence: {@code \n}, {@code \r}, {@code \t},
     * {@code \e} (escape), other C0 and C1 controls and DEL as {@code \xNN}; line and paragraph separators,
     * bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E, U+200F, U+202A–U+202E,
     * U+2066–U+2069), invisible characters (U+200B, U+2060–U+2064, U+FEFF) and unpaired surrogates as a backslash, u
     * and four hex digits; a backslash is doubled so that the result reads back one way. Defined for every string:
     * what it returns is printable text.
     */
    static String escape(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String replacement = switch (c) {
                case '\\' -> "\\\\";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                case '\u001b' -> "\\e";
                default -> Character.isISOControl(c) ? String.format(Locale.ROOT, "\\x%02x", (int) c)
                        : reordersOrBreaks(c) || unpaired(s, i) ? String.format(Locale.ROOT, "\\u%04x", (int) c)
                        : null;
            };
            if (replacement != null && out == null) {
                out = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (out != null) {
                if (replacement != null) {
                    out.append(replacement);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? s : out.toString();
    }

    /**
     * One item of a comma-separated list: {@link #escape escaped}, and in double quotes (with {@code \"} inside)
     * when it holds a comma or a quote, is empty, or starts or ends with a space.
     */
    static String listItem(String s) {
        String e = escape(s);
        boolean quote = e.isEmpty() || e.contains(",") || e.contains("\"") || !e.strip().equals(e);
        return quote ? "\"" + e.replace("\"", "\\\"") + "\"" : e;
    }

    /** {@code n} and the noun, in the plural unless {@code n} is 1: {@code 1 image}, {@code 2 images}. */
    static String count(long n, String noun) {
        return n + " " + (n == 1 ? noun : noun + "s");
    }

    /**
     * Line and paragraph separators, the marks, embeddings, overrides and isolates that reorder text, and the
     * invisible characters that make two different names look the same (zero-width space, word joiner and the
     * invisible operators, the zero-width no-break space U+FEFF).
     */
    private static boolean reordersOrBreaks(char c) {
        return c == '\u2028' || c == '\u2029' || c == '\u061c' || c == '\u200e' || c == '\u200f'
                || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
                || c == '\u200b' || (c >= '\u2060' && c <= '\u2064') || c == '\ufeff';
    }

    /** Whether {@code s.charAt(i)} is half a surrogate pair without its other half (no character by itself). */
    private static boolean unpaired(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        return Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
    }
}
