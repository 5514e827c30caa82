package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.patching.Tokens;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a dataset trace resumes and what it refuses: a folder is resumed only by a trace of the same model, images
 * and options, only one trace writes to a folder at a time, and a trace.csv damaged anywhere but at its end (where a
 * kill leaves it) is refused rather than silently repaired.
 */
class DatasetTraceResumeTest {

    static final int ROWS_PER_IMAGE = DatasetTraceTest.ROWS_PER_IMAGE;

    @TempDir
    Path dir;

    Path whole;
    List<String> lines;

    @BeforeEach
    void traceOnce() throws IOException {
        whole = dir.resolve("whole");
        lines = Files.readAllLines(TraceFixture.run(whole, "grayscale", 0, d -> { }).csv());
    }

    @Test
    void aTraceKilledBeforeItsFirstImageWasWrittenResumesToTheSameFileAsAnUninterruptedRun() throws IOException {
        Path cut = copyOfWhole("cut", l -> l.subList(0, 1));
        DatasetTrace.Result resumed = TraceFixture.run(cut, "grayscale", 0, d -> { });
        assertEquals(0, resumed.resumed());
        assertArrayEquals(Files.readAllBytes(whole.resolve("trace.csv")), Files.readAllBytes(resumed.csv()));
        assertEquals(TraceFixture.IMAGES, resumed.summary().images());
    }

    @Test
    void aSecondTraceIntoAFolderAnotherTraceIsWritingFailsAtOnceNamingTheFolder() throws IOException {
        byte[] before = Files.readAllBytes(whole.resolve("trace.csv"));
        try (FileChannel channel = FileChannel.open(whole.resolve(TraceFolder.LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
             FileLock lock = channel.tryLock()) {
            assertTrue(lock != null, "the test holds the lock");
            IOException e = assertThrows(IOException.class, () -> TraceFixture.run(whole, "grayscale", 0, d -> { }));
            assertTrue(e.getMessage().contains(whole.toString()) && e.getMessage().contains("another trace"),
                    e.getMessage());
        }
        assertArrayEquals(before, Files.readAllBytes(whole.resolve("trace.csv")), "the folder is left alone");
        assertEquals(TraceFixture.IMAGES, TraceFixture.run(whole, "grayscale", 0, d -> { }).resumed(),
                "once the lock is released the folder resumes");
    }

    @Test
    void theFolderStaysLockedWhileTheCallersReportsAreWrittenAndIsReleasedAfterThemEvenWhenTheyFail()
            throws IOException {
        Path out = dir.resolve("reports");
        List<String> refusals = new ArrayList<>();
        TraceFixture.trace("grayscale", 0).run(out, d -> { }, result -> {
            refusals.add(assertThrows(IOException.class,
                    () -> TraceFixture.run(out, "grayscale", 0, d -> { })).getMessage());
            Files.writeString(out.resolve("summary.txt"), "images: " + result.summary().images());
        });
        assertEquals(1, refusals.size());
        assertTrue(refusals.get(0).contains("another trace"), refusals.get(0));
        assertEquals("images: " + TraceFixture.IMAGES, Files.readString(out.resolve("summary.txt")));

        IOException failed = assertThrows(IOException.class, () -> TraceFixture.trace("grayscale", 0).run(out,
                d -> { }, result -> {
                    throw new IOException("disk full");
                }));
        assertEquals("disk full", failed.getMessage());
        assertEquals(TraceFixture.IMAGES, TraceFixture.run(out, "grayscale", 0, d -> { }).resumed(),
                "the lock is released");
    }

    @Test
    void aJavaCallerResumingWithOtherOptionsIsRefused() throws IOException {
        DatasetTrace.Options same = TraceFixture.options("grayscale", 0, TraceMethod.exact());
        CausalTrace.Spec spec = same.spec();
        List<DatasetTrace.Options> others = List.of(
                withSpec(same, new CausalTrace.Spec(spec.kinds(), 1, spec.tokens(), spec.metric())),
                withSpec(same, new CausalTrace.Spec(List.of(SweepKind.ATTN), 3, spec.tokens(), spec.metric())),
                withSpec(same, new CausalTrace.Spec(spec.kinds(), 3, Tokens.parse("cls"), spec.metric())),
                withSpec(same, new CausalTrace.Spec(spec.kinds(), 3, spec.tokens(), Metric.LOG_PROB)),
                new DatasetTrace.Options(same.corruption(), spec, TraceMethod.atp(), same.target(), 0, 5, 24),
                new DatasetTrace.Options(same.corruption(), spec, same.method(),
                        DatasetTrace.Target.CLEAN_TOP1, 0, 5, 24),
                new DatasetTrace.Options(same.corruption(), spec, same.method(), same.target(), 1, 5, 24),
                new DatasetTrace.Options(same.corruption(), spec, same.method(), same.target(), 0, 4, 24));
        List<DatasetTrace.Setting> settings = List.of(DatasetTrace.Setting.WINDOW, DatasetTrace.Setting.KINDS,
                DatasetTrace.Setting.TOKENS, DatasetTrace.Setting.METRIC, DatasetTrace.Setting.METHOD,
                DatasetTrace.Setting.TARGET, DatasetTrace.Setting.SEED, DatasetTrace.Setting.BATCH_SIZE);
        List<String> keys = List.of("window", "kinds", "tokens", "metric", "method", "target", "seed", "batch_size");
        for (int i = 0; i < others.size(); i++) {
            DatasetTrace trace = TraceFixture.trace(11, TraceFixture.cifar10(), others.get(i));
            SettingException e = assertThrows(SettingException.class, () -> trace.run(whole, d -> { }),
                    keys.get(i));
            assertEquals(List.of(settings.get(i)), e.settings(), e.getMessage());
            assertTrue(e.getMessage().contains(keys.get(i) + " was ") && e.getMessage().contains("DatasetTrace.Options"),
                    e.getMessage());
        }
        assertEquals(lines, Files.readAllLines(whole.resolve("trace.csv")), "left intact");
    }

    @Test
    void aTraceRecordedWithoutRoundingOfResizedValuesResumesWithItWhenNoImageIsResized() throws IOException {
        // As a trace recorded before Preprocessing.roundResized existed: CIFAR-10's 32 px images at the model's
        // 32 px are not resized, so rounding changes no pixel and the trace goes on where it stopped.
        Path cut = copyOfWhole("rounded", l -> l.subList(0, 1 + 3 * ROWS_PER_IMAGE));
        DatasetTrace rounding = new DatasetTrace(new Vit(VitWeights.random(VitConfig.cifar10(), 11)),
                Preprocessing.cifar10().withRoundResized(true), TraceFixture.cifar10(),
                TraceFixture.options("grayscale", 0, TraceMethod.exact()));

        DatasetTrace.Result resumed = rounding.run(cut, d -> { });

        assertEquals(3, resumed.resumed());
        assertArrayEquals(Files.readAllBytes(whole.resolve("trace.csv")), Files.readAllBytes(resumed.csv()));
    }

    @Test
    void aJavaCallerResumingWithAnotherModelOrReorderedImagesIsRefused() throws IOException {
        DatasetTrace.Options options = TraceFixture.options("grayscale", 0, TraceMethod.exact());
        DatasetTrace otherWeights = TraceFixture.trace(12, TraceFixture.cifar10(), options);
        IllegalArgumentException model = assertThrows(IllegalArgumentException.class,
                () -> otherWeights.run(whole, d -> { }));
        assertTrue(model.getMessage().contains("model"), model.getMessage());

        // the same file name, its first two images swapped
        Path bin = dir.resolve("images.bin");
        byte[] records = Files.readAllBytes(SharedAssets.resolve(TraceFixture.CIFAR10));
        Files.write(bin, records);
        Path out = dir.resolve("swapped");
        TraceFixture.trace(11, ImageSource.cifar10(bin), options).run(out, d -> { });
        byte[] swapped = records.clone();
        System.arraycopy(records, 0, swapped, 3073, 3073);
        System.arraycopy(records, 3073, swapped, 0, 3073);
        Files.write(bin, swapped);
        IllegalArgumentException images = assertThrows(IllegalArgumentException.class,
                () -> TraceFixture.trace(11, ImageSource.cifar10(bin), options).run(out, d -> { }));
        assertTrue(images.getMessage().contains("images"), images.getMessage());
    }

    @Test
    void aTraceCsvWithADuplicatedImageInTheMiddleIsRefusedNamingTheLineAndLeftIntact() throws IOException {
        int image3 = 1 + 3 * ROWS_PER_IMAGE;
        Path out = copyOfWhole("dup", l -> {
            List<String> d = new ArrayList<>(l.subList(0, image3 + ROWS_PER_IMAGE));
            d.addAll(l.subList(image3, image3 + ROWS_PER_IMAGE));             // image 3 again, as two writers do
            d.addAll(l.subList(image3 + ROWS_PER_IMAGE, 1 + 6 * ROWS_PER_IMAGE));
            return d;
        });
        assertRefused(out, "line " + (image3 + ROWS_PER_IMAGE + 1), "image 3");
    }

    @Test
    void aTraceCsvMissingARowInTheMiddleIsRefusedNamingTheLine() throws IOException {
        int missing = 1 + 2 * ROWS_PER_IMAGE + 5;
        Path out = copyOfWhole("missing", l -> {
            List<String> d = new ArrayList<>(l.subList(0, 1 + 6 * ROWS_PER_IMAGE));
            d.remove(missing);
            return d;
        });
        assertRefused(out, "line " + (missing + 1), "layer");
    }

    @Test
    void aTraceCsvWithAMalformedLineInTheMiddleIsRefusedNamingTheLine() throws IOException {
        int bad = 1 + 2 * ROWS_PER_IMAGE + 5;
        Path out = copyOfWhole("malformed", l -> {
            List<String> d = new ArrayList<>(l.subList(0, 1 + 6 * ROWS_PER_IMAGE));
            d.set(bad, d.get(bad).substring(0, 15));
            return d;
        });
        assertRefused(out, "line " + (bad + 1), "fields");
    }

    @Test
    void aTraceCsvThatIsNotATraceIsRefusedRatherThanDeleted() throws IOException {
        Path out = copyOfWhole("other", l -> List.of("kind,layer,mean,ci95,count", "attn,0,0.1,0.01,24"));
        assertRefused(out, "line 1", "header");
    }

    @Test
    void aTraceIntoAFolderHoldingASparkTraceIsRefusedNamingItsParquetTable() throws IOException {
        Path out = dir.resolve("spark");
        Files.createDirectories(out.resolve("trace.parquet"));           // a Spark trace killed before its trace.csv
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TraceFixture.run(out, "grayscale", 0, d -> { }));
        assertTrue(e.getMessage().contains("trace.parquet") && e.getMessage().contains(out.toString()),
                e.getMessage());
        assertTrue(!Files.exists(out.resolve("trace.csv")) && !Files.exists(out.resolve("trace.meta.properties")));
    }

    @Test
    void aTraceCsvWithWindowsLineEndingsIsRefusedNamingTheLineEndingsAndLeftIntact() throws IOException {
        // as an editor re-saving it on Windows leaves it, here with the last image unfinished and its last line cut
        Path out = copyOfWhole("crlf", l -> l.subList(0, 1 + 6 * ROWS_PER_IMAGE + 5));
        Path csv = out.resolve("trace.csv");
        String text = String.join("\r\n", Files.readAllLines(csv)) + "\r\n";
        Files.writeString(csv, text.substring(0, text.length() - 30));
        assertRefused(out, "line 1", "\\r\\n", "dos2unix");
    }

    @Test
    void aTraceCsvThatIsNotUtf8IsRefusedNamingTheLineAndLeftIntact() throws IOException {
        int bad = 1 + 2 * ROWS_PER_IMAGE + 5;
        Path out = copyOfWhole("latin1", l -> l.subList(0, 1 + 6 * ROWS_PER_IMAGE));
        Path csv = out.resolve("trace.csv");
        byte[] bytes = Files.readAllBytes(csv);
        int at = 0;
        for (int line = 0; line < bad; at++) {
            line += bytes[at] == '\n' ? 1 : 0;
        }
        bytes[at + 1] = (byte) 0xE9;                                     // a Latin-1 é inside line bad + 1
        Files.write(csv, bytes);
        assertRefused(out, "line " + (bad + 1), "UTF-8");
    }

    private void assertRefused(Path out, String... mentions) throws IOException {
        Path csv = out.resolve("trace.csv");
        byte[] before = Files.readAllBytes(csv);
        IOException e = assertThrows(IOException.class, () -> TraceFixture.run(out, "grayscale", 0, d -> { }));
        assertTrue(e.getMessage().contains(csv.toString()) && e.getMessage().contains("delete"), e.getMessage());
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), m + " in: " + e.getMessage());
        }
        assertArrayEquals(before, Files.readAllBytes(csv), "a refused trace.csv is left as it was");
    }

    /** A folder holding the whole trace's settings and {@code edit} of its trace.csv lines. */
    private Path copyOfWhole(String name, Function<List<String>, List<String>> edit) throws IOException {
        Path out = dir.resolve(name);
        Files.createDirectories(out);
        Files.copy(whole.resolve("trace.meta.properties"), out.resolve("trace.meta.properties"));
        Files.write(out.resolve("trace.csv"), edit.apply(lines), StandardCharsets.UTF_8);
        return out;
    }

    private static DatasetTrace.Options withSpec(DatasetTrace.Options o, CausalTrace.Spec spec) {
        return new DatasetTrace.Options(o.corruption(), spec, o.method(), o.target(), o.seed(), o.batchSize(),
                o.limit());
    }
}
