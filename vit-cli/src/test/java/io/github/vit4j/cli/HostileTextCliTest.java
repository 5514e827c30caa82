package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.TorchCheckpoints;
import io.github.vit4j.format.VitFile;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.zip.CRC32C;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Text that comes from files or servers reaches the terminal escaped, through the real commands: tensor names (an
 * unused-weights error, the table of {@code vit inspect}), image file names ({@code vit classify},
 * {@code vit gradients}, {@code images.txt} of {@code vit activations}), class names, and exception messages,
 * each holding ESC [ 2 J (clear the screen), BEL, CR, a newline, a tab, the C1 CSI (U+009B) and a right-to-left
 * override (U+202E).
 */
class HostileTextCliTest {

    /** Every kind of control a terminal acts on; what the tests put in names and messages. */
    static final String HOSTILE = "\u001b[2J\u0007\r\n\t\u009b\u202e";
    /** {@link #HOSTILE} as {@link TerminalText#escape} shows it. */
    static final String SHOWN = "\\e[2J\\x07\\r\\n\\t\\x9b\\u202e";
    /** A file name with the controls every file system here takes (C1 and bidi need a UTF-8 file system). */
    static final String IMAGE = "cat\u001b[2J\u0007\r\n\tend.png";
    /** {@link #IMAGE} as {@link TerminalText#escape} shows it. */
    static final String IMAGE_SHOWN = "cat\\e[2J\\x07\\r\\n\\tend.png";

    @TempDir
    Path dir;

    @Test
    void aTensorNameInAnUnusedWeightsErrorIsPrintedEscapedOnOneLine() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("model"));
        for (String name : List.of("config.json", "preprocessor_config.json")) {
            Files.copy(SharedAssets.resolve("models/simplevit-cifar10/hf/" + name), folder.resolve(name));
        }
        Map<String, org.nd4j.linalg.api.ndarray.INDArray> state = new LinkedHashMap<>(
                TorchCheckpoints.huggingFaceStateDict(VitWeights.random(VitConfig.cifar10(), 3)));
        state.put("extra" + HOSTILE, Nd4j.zeros(2));
        TorchCheckpoints.write(folder.resolve("pytorch_model.bin"), state);

        CliRun run = CliRun.of("inspect", folder.toString());

        assertEquals(Vit4jCli.USAGE, run.exitCode(), run.toString());
        assertSafe(run.out() + run.err());
        assertTrue(run.err().contains("extra" + SHOWN), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
    }

    @Test
    void inspectShowsATensorNameAndItsProblemsEscaped() throws Exception {
        Path file = dir.resolve("hostile.vit");
        VitFile.write(file, new Pretrained(VitWeights.random(VitConfig.cifar10().withLabels(hostileLabels()), 3),
                Preprocessing.cifar10()));
        // the same number of header bytes, in Properties syntax (a raw CR or newline would end the line)
        renameTensor(file, "patch_embed.proj.weight", "p\u001b[2J\u0007\\r\\n\\t\u009b\u202exxxxxx");

        CliRun run = CliRun.of("inspect", file.toString());

        assertEquals(1, run.exitCode(), run.toString());
        assertSafe(run.out() + run.err());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("p" + SHOWN + "xxxxxx ")), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("problem: ") && l.contains("p" + SHOWN)),
                run.out());
        assertTrue(run.out().contains(", horse" + SHOWN + ", ship, "), run.out());
    }

    @Test
    void imageFileNamesArePrintedEscapedByClassifyAndGradients() throws Exception {
        Path images = hostileImages();
        Path model = model();

        CliRun classify = CliRun.of("classify", "--model", model.toString(), "--images", images.toString(),
                "--label", "clean-top1", "--top", "10");
        assertEquals(0, classify.exitCode(), classify.toString());
        assertSafe(classify.out() + classify.err());
        assertTrue(classify.out().startsWith("a.png" + " ".repeat(IMAGE_SHOWN.length() - 5 + 2)),
                "the names' column is as wide as the longest name shown: " + classify.out());
        assertTrue(classify.out().contains("\n" + IMAGE_SHOWN + "  "), classify.out());
        assertTrue(classify.out().contains("horse" + SHOWN + " 0."), classify.out());
        assertEquals(2, classify.out().lines().count(), classify.out());

        CliRun gradients = CliRun.of("gradients", "--model", model.toString(), "--images", images.toString(),
                "--label", "clean-top1", "--out", dir.resolve("grads").toString());
        assertEquals(0, gradients.exitCode(), gradients.toString());
        assertSafe(gradients.out().replace("\t", " ") + gradients.err());
        assertTrue(gradients.out().contains("\t" + IMAGE_SHOWN + "\t"), gradients.out());
        List<String> rows = Files.readAllLines(dir.resolve("grads/images.txt"));
        assertEquals(2, rows.size(), rows.toString());
        assertEquals(IMAGE, LabelEscapingTest.unescape(rows.get(1).split("\t")[1]));
    }

    @Test
    void imagesTxtOfActivationsHasOneLinePerImageAndItsNamesReadBackExactly() throws Exception {
        CliRun run = CliRun.of("activations", "--model", model().toString(), "--images", hostileImages().toString(),
                "--out", dir.resolve("acts").toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertSafe(run.out() + run.err());
        List<String> rows = Files.readAllLines(dir.resolve("acts/images.txt"), StandardCharsets.UTF_8);
        assertEquals(2, rows.size(), rows.toString());
        List<String> names = new ArrayList<>();
        for (String row : rows) {
            String[] columns = row.split("\t", -1);
            assertEquals(3, columns.length, "index, name and an empty label: " + row);
            names.add(LabelEscapingTest.unescape(columns[1]));
        }
        assertEquals(List.of("a.png", IMAGE), names);
    }

    @Test
    void anExpectedErrorsMessageIsPrintedEscapedOnOneLine() {
        CliRun run = run(new Failing(new IllegalArgumentException("bad name " + HOSTILE)));
        assertEquals(Vit4jCli.USAGE, run.exitCode(), run.toString());
        assertEquals("vit fail: bad name " + SHOWN + "\n", run.err());
    }

    @Test
    void anInternalErrorsMessagesAndStackTraceArePrintedEscaped() {
        RuntimeException e = new RuntimeException("outer " + HOSTILE, new IllegalStateException("inner " + HOSTILE));
        e.addSuppressed(new java.io.UncheckedIOException("suppressed " + HOSTILE, new java.io.IOException()));
        CliRun run = run(new Failing(e));
        assertEquals(1, run.exitCode(), run.toString());
        assertSafe(run.err().replace("\n\tat ", "\n at ").replace("\n\tSuppressed: ", "\n Suppressed: ")
                .replace("\n\tCaused by: ", "\n Caused by: ").replace("\n\t\tat ", "\n  at "));
        assertTrue(run.err().startsWith("vit fail: internal error: java.lang.RuntimeException: outer " + SHOWN + "\n"),
                run.err());
        assertTrue(run.err().contains("\nCaused by: java.lang.IllegalStateException: inner " + SHOWN + "\n"),
                run.err());
        assertTrue(run.err().contains("\n\tSuppressed: java.io.UncheckedIOException: suppressed " + SHOWN + "\n"),
                run.err());
        assertTrue(run.err().contains("\tat io.github.vit4j.cli.HostileTextCliTest."), run.err());
    }

    @Test
    void aBadArgumentInAParseErrorIsPrintedEscaped() {
        CliRun run = CliRun.of("classify", "--top", "3" + HOSTILE);
        assertEquals(Vit4jCli.USAGE, run.exitCode(), run.toString());
        assertSafe(run.err());
        assertTrue(run.err().contains("'3" + SHOWN + "'"), run.err());
        assertTrue(run.err().contains("Usage: vit classify"), "the usage follows, as before: " + run.err());
    }

    @Test
    void anImageNameWithALineBreakIsOneQuotedFieldOfTheEmbedMapCsv() {
        assertEquals("cat.png", EmbedMapCommand.csvField("cat.png"));
        assertEquals("\"a\nb.png\"", EmbedMapCommand.csvField("a\nb.png"));
        assertEquals("\"a\rb.png\"", EmbedMapCommand.csvField("a\rb.png"));
        assertEquals("\"x,\"\"y\"\".png\"", EmbedMapCommand.csvField("x,\"y\".png"));
    }

    /** A command that throws {@code e}, run as {@code vit fail} with the CLI's error handling. */
    @Command(name = "fail")
    record Failing(RuntimeException e) implements Callable<Integer> {
        @Override
        public Integer call() {
            throw e;
        }
    }

    private static CliRun run(Failing failing) {
        return CliRun.of(Vit4jCli.commandLine().addSubcommand(new CommandLine(failing)), "fail");
    }

    /** CIFAR-10's names with the 8th ("horse") made hostile. */
    private static List<String> hostileLabels() {
        List<String> labels = new ArrayList<>(VitConfig.CIFAR10_LABELS);
        labels.set(7, "horse" + HOSTILE);
        return labels;
    }

    private Path model() throws Exception {
        Path file = dir.resolve("labels.vit");
        VitFile.write(file, new Pretrained(VitWeights.random(VitConfig.cifar10().withLabels(hostileLabels()), 3),
                Preprocessing.cifar10()));
        return file;
    }

    /** A folder of two 32×32 images: {@code a.png} and {@link #IMAGE}. */
    private Path hostileImages() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("images"));
        for (String name : List.of("a.png", IMAGE)) {
            BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
            image.setRGB(3, 4, 0x336699);
            ImageIO.write(image, "png", folder.resolve(name).toFile());
        }
        return folder;
    }

    /**
     * Renames tensor {@code name} of a {@code .vit} file's header to {@code hostile} (Properties text of the same
     * UTF-8 length) and writes the header checksum anew: a file whose header is intact and names a hostile tensor.
     */
    private static void renameTensor(Path file, String name, String hostile) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (int) java.nio.ByteBuffer.wrap(bytes, 8, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .getLong();
        String header = new String(bytes, 16, headerLength, StandardCharsets.UTF_8);
        assertEquals(name.length(), hostile.getBytes(StandardCharsets.UTF_8).length, "same length: same offsets");
        String renamed = header.replace(".name=" + name + "\n", ".name=" + hostile + "\n");
        assertFalse(renamed.equals(header), header);
        int at = renamed.lastIndexOf("header.crc32c=");
        CRC32C crc = new CRC32C();
        crc.update(renamed.substring(0, at).getBytes(StandardCharsets.UTF_8));
        renamed = renamed.substring(0, at) + String.format("header.crc32c=%08x\n", crc.getValue());
        byte[] text = renamed.getBytes(StandardCharsets.UTF_8);
        assertEquals(headerLength, text.length);
        System.arraycopy(text, 0, bytes, 16, headerLength);
        Files.write(file, bytes);
    }

    /** No control character but the newline, no bidirectional control and no half surrogate pair in {@code out}. */
    static void assertSafe(String out) {
        for (int i = 0; i < out.length(); i++) {
            char c = out.charAt(i);
            boolean bidi = c == '\u061c' || c == '\u200e' || c == '\u200f' || (c >= '\u202a' && c <= '\u202e')
                    || (c >= '\u2066' && c <= '\u2069');
            boolean half = Character.isHighSurrogate(c)
                    ? i + 1 == out.length() || !Character.isLowSurrogate(out.charAt(i + 1))
                    : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(out.charAt(i - 1)));
            assertFalse(c != '\n' && (Character.isISOControl(c) || bidi || half), "raw U+"
                    + String.format("%04X", (int) c) + " at " + i + " in:\n" + out);
        }
    }
}
