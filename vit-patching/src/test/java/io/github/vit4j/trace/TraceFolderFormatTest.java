package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.patching.Tokens;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trace.meta.properties} has keys of its own and a version ({@code format=2}), and a folder written before
 * it had them (format 1: vit4j 0.1's Java names as keys) still resumes and extends. The folder of format 1 in the
 * test resources was written by vit4j 0.1's {@link DatasetTrace}: 2 CIFAR-10 test images, noise:3, resid and mlp,
 * batch 2, {@link TraceFixture}'s random model of the CIFAR-10 model's shape (seed 11).
 */
class TraceFolderFormatTest {

    private static final String FORMAT_1 = "trace-format-1/";

    @TempDir
    Path dir;

    private static DatasetTrace trace(int limit) throws IOException {
        DatasetTrace.Options options = new DatasetTrace.Options(Corruption.parse("noise:3"),
                new CausalTrace.Spec(List.of(SweepKind.RESID, SweepKind.MLP), 3, Tokens.all(), Metric.PROB),
                TraceMethod.exact(), DatasetTrace.Target.TRUE_LABEL, 7, 2, limit);
        return TraceFixture.trace(11, TraceFixture.cifar10(), options);
    }

    private Path format1Folder() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("format1"));
        for (String file : List.of(TraceFolder.SETTINGS, TraceFolder.CSV)) {
            try (InputStream in = getClass().getResourceAsStream(FORMAT_1 + file)) {
                Files.copy(in, folder.resolve(file));
            }
        }
        return folder;
    }

    private static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        return p;
    }

    @Test
    void aFolderWrittenByVit4j01ResumesToTheSameRowsAndIsRewrittenInFormat2() throws IOException {
        Path old = format1Folder();
        byte[] csv = Files.readAllBytes(old.resolve(TraceFolder.CSV));
        assertFalse(load(old.resolve(TraceFolder.SETTINGS)).containsKey("format"), "the resource is of format 1");

        DatasetTrace.Result resumed = trace(2).run(old, d -> { });

        assertEquals(2, resumed.resumed());
        assertArrayEquals(csv, Files.readAllBytes(resumed.csv()));
        assertArrayEquals(Files.readAllBytes(trace(2).run(dir.resolve("fresh"), d -> { }).csv()), csv,
                "today's trace of the same images has the same rows");
        Properties now = load(old.resolve(TraceFolder.SETTINGS));
        assertEquals(load(dir.resolve("fresh").resolve(TraceFolder.SETTINGS)), now);
        assertEquals("2", now.getProperty("format"));
        assertEquals("noise(k=3.0, sigma=0.1379)", now.getProperty("corruption"));
        assertEquals("resid,mlp", now.getProperty("kinds"));
        assertEquals("2", now.getProperty("batch_size"));
        assertTrue(now.stringPropertyNames().stream().noneMatch(k -> k.startsWith("DatasetTrace.")), now.toString());
    }

    @Test
    void aFolderWrittenByVit4j01ExtendsToTheTraceThatTodaysVersionWritesFromTheStart() throws IOException {
        Path old = format1Folder();
        DatasetTrace.Result extended = trace(5).run(old, d -> { });
        DatasetTrace.Result fresh = trace(5).run(dir.resolve("fresh"), d -> { });

        assertEquals(2, extended.resumed());
        assertArrayEquals(Files.readAllBytes(fresh.csv()), Files.readAllBytes(extended.csv()));
        assertEquals(load(dir.resolve("fresh").resolve(TraceFolder.SETTINGS)),
                load(old.resolve(TraceFolder.SETTINGS)));
    }

    @Test
    void aFolderWrittenByVit4j01WithOtherOptionsIsRefusedNamingTheSettingAsAValue() throws IOException {
        Path old = format1Folder();
        DatasetTrace.Options o = new DatasetTrace.Options(Corruption.parse("noise:3"), new CausalTrace.Spec(
                List.of(SweepKind.RESID, SweepKind.MLP), 1, Tokens.all(), Metric.PROB), TraceMethod.exact(),
                DatasetTrace.Target.TRUE_LABEL, 7, 2, 2);
        SettingException e = assertThrows(SettingException.class,
                () -> TraceFixture.trace(11, TraceFixture.cifar10(), o).run(old, d -> { }));
        assertEquals(List.of(DatasetTrace.Setting.WINDOW), e.settings());
        assertTrue(e.getMessage().contains("window was '3', now '1'"), e.getMessage());
    }

    @Test
    void aFolderOfALaterFormatIsRefusedNamingItsFormat() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("later"));
        Files.writeString(folder.resolve(TraceFolder.SETTINGS), "format=3\n");
        Files.writeString(folder.resolve(TraceFolder.CSV), TraceCsv.HEADER + "\n");
        IOException e = assertThrows(IOException.class, () -> trace(2).run(folder, d -> { }));
        assertTrue(e.getMessage().contains("format 3") && e.getMessage().contains("formats 1 and 2"),
                e.getMessage());
    }
}
