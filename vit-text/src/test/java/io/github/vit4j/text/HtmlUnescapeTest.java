package io.github.vit4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jsoup.nodes.Entities;
import org.junit.jupiter.api.Test;

/** Python 3.11's {@code html.unescape} on each rule, the expected strings as Python printed them. */
class HtmlUnescapeTest {

    /** Python's {@code html.entities.html5} keys without a semicolon: the legacy names HTML5 accepts bare. */
    private static final String LEGACY = "AElig AMP Aacute Acirc Agrave Aring Atilde Auml COPY Ccedil ETH Eacute Ecirc"
            + " Egrave Euml GT Iacute Icirc Igrave Iuml LT Ntilde Oacute Ocirc Ograve Oslash Otilde Ouml QUOT REG"
            + " THORN Uacute Ucirc Ugrave Uuml Yacute aacute acirc acute aelig agrave amp aring atilde auml brvbar"
            + " ccedil cedil cent copy curren deg divide eacute ecirc egrave eth euml frac12 frac14 frac34 gt iacute"
            + " icirc iexcl igrave iquest iuml laquo lt macr micro middot nbsp not ntilde oacute ocirc ograve ordf"
            + " ordm oslash otilde ouml para plusmn pound quot raquo reg sect shy sup1 sup2 sup3 szlig thorn times"
            + " uacute ucirc ugrave uml uuml yacute yen yuml";

    @Test
    void jsoupsBaseEntitiesAreExactlyPythonsLegacyNames() {
        String[] legacy = LEGACY.split(" ");
        assertEquals(106, legacy.length);
        for (String name : legacy) {
            assertTrue(Entities.isBaseNamedEntity(name), name);
        }
        for (String name : new String[] {"hellip", "apos", "notin", "euro", "mdash", "NewLine", "Amp"}) {
            assertFalse(Entities.isBaseNamedEntity(name), name);
        }
    }

    @Test
    void namedReferencesWithTheirSemicolonAreAllOfHtml5() {
        assertEquals("a & b", HtmlUnescape.unescape("a &amp; b"));
        assertEquals("\u2026 \u2014 \u20ac '", HtmlUnescape.unescape("&hellip; &mdash; &euro; &apos;"));
        assertEquals("\u2242\u0338", HtmlUnescape.unescape("&NotEqualTilde;")); // two code points
        assertEquals("\n", HtmlUnescape.unescape("&NewLine;"));
        assertEquals("&Amp;", HtmlUnescape.unescape("&Amp;")); // names are case-sensitive
    }

    @Test
    void aNameThatIsNoEntityIsCutToTheLongestLegacyNameItStartsWith() {
        assertEquals("&foo", HtmlUnescape.unescape("&ampfoo"));
        assertEquals("\u00acit;", HtmlUnescape.unescape("&notit;"));
        assertEquals("\u00e9\u00e9", HtmlUnescape.unescape("&eacute&eacute;"));
        assertEquals("&&", HtmlUnescape.unescape("&amp&amp"));
        assertEquals("<>", HtmlUnescape.unescape("&lt&gt"));
        assertEquals("&", HtmlUnescape.unescape("&AMP"));
        assertEquals("&;", HtmlUnescape.unescape("&;"));
        assertEquals("& ", HtmlUnescape.unescape("& "));
        String tooLong = "&" + "a".repeat(40) + ";";
        assertEquals(tooLong, HtmlUnescape.unescape(tooLong));
    }

    @Test
    void numbersFollowPythonsRulesForZeroControlsSurrogatesAndWindows1252() {
        assertEquals("A", HtmlUnescape.unescape("&#0000065;"));
        assertEquals("A", HtmlUnescape.unescape("&#x0000041"));
        assertEquals("Ax", HtmlUnescape.unescape("&#65x"));
        assertEquals("&#xZ;", HtmlUnescape.unescape("&#xZ;"));
        assertEquals("\uFFFD", HtmlUnescape.unescape("&#0;"));
        assertEquals("\r", HtmlUnescape.unescape("&#13;"));
        assertEquals("\u20ac\u2013\u0178", HtmlUnescape.unescape("&#128;&#150;&#x9F;"));
        assertEquals("\u0081\u008d", HtmlUnescape.unescape("&#129;&#141;")); // undefined in windows-1252: kept
        assertEquals("\uFFFD\uFFFD\uFFFD", HtmlUnescape.unescape("&#56256;&#x110000;&#99999999999;"));
        assertEquals("", HtmlUnescape.unescape("&#1;&#11;&#127;&#xFDD0;&#xFFFF;&#x1FFFE;&#x10FFFF;"));
        assertEquals("\u00a0\ud83d\ude00", HtmlUnescape.unescape("&#160;&#x1F600;"));
    }

    @Test
    void aTextWithoutAmpersandIsReturnedAsItIs() {
        String text = "a photo of a cat";
        assertSame(text, HtmlUnescape.unescape(text));
    }
}
