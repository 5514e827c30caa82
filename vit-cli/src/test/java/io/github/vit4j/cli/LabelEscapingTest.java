package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.format.VitFile;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Class names come from files; the CLI prints them so that they cannot break lines or drive the terminal. */
class LabelEscapingTest {

    /** CIFAR-10's names, three of them replaced by hostile ones. */
    static final List<String> LABELS = List.of("airplane", "auto\nmobile", "bird", "cat\u001b[2J", "deer", "dog",
            "frog", "horse", "ship, boat", "truck\t\u0007");

    @TempDir
    Path dir;

    @Test
    void controlCharactersAreEscapedAsBackslashSequences() {
        assertEquals("plain name, with comma", TerminalText.escape("plain name, with comma"));
        assertEquals("a\\nb\\r\\tc", TerminalText.escape("a\nb\r\tc"));
        assertEquals("red\\e[31m", TerminalText.escape("red\u001b[31m"));
        assertEquals("bell\\x07 del\\x7f c1\\x9b", TerminalText.escape("bell\u0007 del\u007f c1\u009b"));
        assertEquals("line\\u2028sep", TerminalText.escape("line\u2028sep"));
        assertEquals("back\\\\slash\\n", TerminalText.escape("back\\slash\n"), "a backslash is doubled: unambiguous");
        assertEquals("café 猫", TerminalText.escape("café 猫"));
    }

    @Test
    void bidirectionalControlsAndUnpairedSurrogatesAreEscapedWhileScriptsAndEmojiAreKept() {
        assertEquals("cat\\u202egnp.exe", TerminalText.escape("cat\u202egnp.exe"), "Trojan Source");
        assertEquals("\\u2066a\\u2069 \\u061c \\u200f", TerminalText.escape("\u2066a\u2069 \u061c \u200f"));
        assertEquals("half \\ud83d and \\ude00", TerminalText.escape("half \ud83d and \ude00"));
        assertEquals("\\ude00\ud83d\ude00\\ud83d", TerminalText.escape("\ude00\ud83d\ude00\ud83d"));
        assertEquals("猫 😀 👩‍💻 עברית", TerminalText.escape("猫 😀 👩‍💻 עברית"));
    }

    @Test
    void invisibleCharactersThatMakeTwoNamesLookAlikeAreEscaped() {
        assertEquals("cat\\u200b.png \\ufeffdog \\u2060x\\u2064",
                TerminalText.escape("cat\u200b.png \ufeffdog \u2060x\u2064"));
    }

    @Test
    void everyCharacterEscapesToPrintableTextThatReadsBackExactly() {
        StringBuilder all = new StringBuilder();
        for (int c = 0; c <= Character.MAX_VALUE; c++) {
            String one = String.valueOf((char) c);
            String shown = TerminalText.escape(one);
            HostileTextCliTest.assertSafe(shown);
            assertEquals(one, unescape(shown), "U+" + Integer.toHexString(c));
            all.append((char) c).append('\\');
        }
        String text = all.append("\ud83d\ude00\n").toString();
        assertEquals(text, unescape(TerminalText.escape(text)));
    }

    @Test
    void listItemsWithCommasQuotesOrEdgeSpacesAreQuoted() {
        assertEquals("cat", TerminalText.listItem("cat"));
        assertEquals("\"ship, boat\"", TerminalText.listItem("ship, boat"));
        assertEquals("\"say \\\"hi\\\"\"", TerminalText.listItem("say \"hi\""));
        assertEquals("\" padded\"", TerminalText.listItem(" padded"));
        assertEquals("\"\"", TerminalText.listItem(""));
        assertEquals("auto\\nmobile", TerminalText.listItem("auto\nmobile"));
    }

    @Test
    void inspectPrintsHostileLabelsEscapedAndQuoted() throws Exception {
        Path file = model();
        CliRun run = CliRun.of("inspect", file.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertSafe(run.out());
        String labels = run.out().lines().filter(l -> l.startsWith("labels: ")).findFirst().orElseThrow();
        assertEquals("labels: airplane, auto\\nmobile, bird, cat\\e[2J, deer, dog, frog, horse, \"ship, boat\","
                + " truck\\t\\x07", labels);
    }

    @Test
    void classifyPrintsHostileLabelsEscaped() throws Exception {
        Path file = model();
        CliRun run = CliRun.of("classify", "--model", file.toString(), "--limit", "2", "--top", "10");
        assertEquals(0, run.exitCode(), run.toString());
        assertSafe(run.out());
        assertTrue(run.out().contains("cat\\e[2J 0."), run.out());
        assertTrue(run.out().contains("[cat\\e[2J]"), run.out()); // image 0 of the CIFAR-10 test batch is a cat
        assertTrue(run.out().contains("auto\\nmobile 0."), run.out());
        assertEquals(2 + 1, run.out().lines().count(), "two images and the accuracy: " + run.out());
    }

    private Path model() throws Exception {
        Path file = dir.resolve("hostile.vit");
        VitConfig config = VitConfig.cifar10().withLabels(LABELS);
        VitFile.write(file, new Pretrained(VitWeights.random(config, 3), Preprocessing.cifar10()));
        return file;
    }

    /** What {@link TerminalText#escape} reads back to (the inverse a reader of {@code images.txt} applies). */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char kind = s.charAt(++i);
            switch (kind) {
                case '\\' -> b.append('\\');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'e' -> b.append('\u001b');
                case 'x', 'u' -> {
                    int digits = kind == 'x' ? 2 : 4;
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 1 + digits), 16));
                    i += digits;
                }
                default -> throw new IllegalArgumentException("\\" + kind + " in " + s);
            }
        }
        return b.toString();
    }

    private static void assertSafe(String out) {
        HostileTextCliTest.assertSafe(out);
    }
}
