package io.github.vit4j.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;

/**
 * JSON that can stand inside an HTML {@code <script>} element whatever its strings hold: {@code <}, {@code >} and
 * {@code &} are written as JSON's six-character escapes (backslash, u, four hex digits), so no text ends the element,
 * opens an HTML comment ({@code <!--}) or a nested {@code <script>} (which would keep the element open past its end
 * tag); so are U+2028 and U+2029 (line ends to JavaScript before ES2019). The value read back by {@code JSON.parse}
 * is unchanged.
 */
final class HtmlSafeJson {

    private static final ObjectMapper MAPPER = mapper();

    private HtmlSafeJson() {
    }

    private static ObjectMapper mapper() {
        ObjectMapper mapper = new ObjectMapper();
        mapper.getFactory().setCharacterEscapes(new Escapes());
        mapper.getFactory().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        return mapper;
    }

    /** Writes {@code value} as UTF-8 JSON to {@code out}, streaming (a {@code byte[]} as base64), leaving it open. */
    static void write(OutputStream out, Object value) throws IOException {
        MAPPER.writeValue(out, value);
    }

    private static final class Escapes extends CharacterEscapes {

        private final int[] ascii = standardAsciiEscapesForJSON();

        Escapes() {
            for (char c : new char[] {'<', '>', '&'}) {
                ascii[c] = ESCAPE_STANDARD;
            }
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        /** Jackson's contract: the escape of a character above ASCII, null to write it as it is. */
        @Override
        public SerializableString getEscapeSequence(int ch) {
            return ch == 0x2028 || ch == 0x2029 ? new SerializedString(String.format("\\u%04x", ch)) : null;
        }
    }
}
