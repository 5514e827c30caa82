package io.github.vit4j.text;

import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jsoup.nodes.Entities;

/**
 * Python's {@code html.unescape}, which OpenAI's CLIP tokenizer applies twice: every character reference of HTML5
 * replaced by what it stands for, by the rules Python follows. The table of named references (all 2,231 of HTML5,
 * and the 106 legacy ones that also count without their semicolon) is jsoup's {@link Entities}; the rules are
 * Python's:
 * <ul>
 *   <li>a reference is {@code &} then a name of 1 to 32 characters other than tab, newline, form feed, space,
 *       {@code <}, {@code &}, {@code #} and {@code ;}, with or without a closing {@code ;}, or {@code &#} and decimal
 *       digits, or {@code &#x} (or {@code X}) and hex digits, each with an optional {@code ;};</li>
 *   <li>a name that is not an entity is cut to its longest prefix that is a legacy entity ({@code &notit;} is
 *       {@code ¬it;}, {@code &ampfoo} is {@code &foo}), else left as it is;</li>
 *   <li>numbers: 0 becomes U+FFFD, 13 a carriage return, 128..159 the windows-1252 character of that byte (the 5
 *       bytes windows-1252 leaves undefined: themselves), surrogates and numbers past U+10FFFF U+FFFD, and the
 *       controls and non-characters HTML forbids (1..8, 11, 14..31, 127..159, U+FDD0..U+FDEF, U+xFFFE, U+xFFFF)
 *       nothing at all.</li>
 * </ul>
 * jsoup's own {@code Parser.unescapeEntities} follows the same prefix rule but not Python's rules for numbers (it
 * gives U+0000 for {@code &#0;}, keeps U+0001 and U+FFFF), hence this class.
 */
final class HtmlUnescape {

    private static final Pattern REFERENCE =
            Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");

    private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");

    private HtmlUnescape() {
    }

    /** {@code text} with every character reference replaced, as Python's {@code html.unescape(text)} gives it. */
    static String unescape(String text) {
        if (text.indexOf('&') < 0) {
            return text;
        }
        Matcher reference = REFERENCE.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (reference.find()) {
            reference.appendReplacement(out, Matcher.quoteReplacement(replacement(reference.group(1))));
        }
        reference.appendTail(out);
        return out.toString();
    }

    /** What a reference (without its {@code &}) stands for. */
    private static String replacement(String reference) {
        if (reference.charAt(0) == '#') {
            boolean hex = reference.charAt(1) == 'x' || reference.charAt(1) == 'X';
            String digits = reference.substring(hex ? 2 : 1);
            if (digits.endsWith(";")) {
                digits = digits.substring(0, digits.length() - 1);
            }
            return character(number(digits, hex ? 16 : 10));
        }
        boolean closed = reference.endsWith(";");
        String whole = closed ? reference.substring(0, reference.length() - 1) : reference;
        if (closed ? Entities.isNamedEntity(whole) : Entities.isBaseNamedEntity(whole)) {
            return Entities.getByName(whole);
        }
        int[] points = reference.codePoints().toArray();
        for (int length = points.length - 1; length > 1; length--) { // the longest legacy name it starts with
            String name = new String(points, 0, length);
            if (Entities.isBaseNamedEntity(name)) {
                return Entities.getByName(name) + new String(points, length, points.length - length);
            }
        }
        return "&" + reference;
    }

    /** The number the digits give, or {@code Integer.MAX_VALUE} when it is past U+10FFFF. */
    private static int number(String digits, int radix) {
        String significant = digits.replaceFirst("^0+", "");
        if (significant.length() > 8) {
            return Integer.MAX_VALUE;
        }
        return significant.isEmpty() ? 0 : (int) Math.min(Long.parseLong(significant, radix), Integer.MAX_VALUE);
    }

    /** What the numeric reference {@code &#number;} stands for, by Python's rules (class comment). */
    private static String character(int number) {
        if (number == 0) {
            return "\uFFFD";
        }
        if (number == 0x0D) {
            return "\r";
        }
        if (number >= 0x80 && number <= 0x9F) {
            String windows1252 = WINDOWS_1252.decode(ByteBuffer.wrap(new byte[] {(byte) number})).toString();
            return windows1252.equals("\uFFFD") ? String.valueOf((char) number) : windows1252;
        }
        if ((number >= 0xD800 && number <= 0xDFFF) || number > 0x10FFFF) {
            return "\uFFFD";
        }
        boolean forbidden = (number >= 0x01 && number <= 0x08) || number == 0x0B || (number >= 0x0E && number <= 0x1F)
                || number == 0x7F || (number >= 0xFDD0 && number <= 0xFDEF) || (number & 0xFFFE) == 0xFFFE;
        return forbidden ? "" : new String(Character.toChars(number));
    }
}
