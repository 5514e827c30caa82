package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.image.ImageSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trace restarted with a larger limit extends its folder: the images already traced keep their rows and the new
 * ones are appended, as long as nothing else changed; a smaller limit is refused, since a trace is never cut short.
 */
class DatasetTraceExtendTest {

    @TempDir
    Path dir;

    @Test
    void aTraceOfTenImagesExtendedToTwentyFourIsTheFileOfAnUninterruptedTraceOfTwentyFour() throws IOException {
        byte[] whole = Files.readAllBytes(TraceFixture.run(dir.resolve("whole"), "noise:3", 7, d -> { }).csv());
        Path out = dir.resolve("extended");
        DatasetTrace.Result first = withLimit("noise:3", 7, 10, TraceFixture.cifar10()).run(out, d -> { });
        assertEquals(10, first.summary().images());

        DatasetTrace.Result extended = TraceFixture.run(out, "noise:3", 7, d -> { });
        assertEquals(10, extended.resumed());
        assertEquals(TraceFixture.IMAGES, extended.summary().images());
        assertArrayEquals(whole, Files.readAllBytes(extended.csv()), "calibrated on the same images, the noise is the same");
        assertEquals(TraceFixture.IMAGES, TraceFixture.run(out, "noise:3", 7, d -> { }).resumed(),
                "the folder now records the 24 images: a rerun resumes them all");
    }

    @Test
    void extendingWithAnotherSettingOrOtherFirstImagesIsRefused() throws IOException {
        Path out = dir.resolve("ten");
        withLimit("grayscale", 0, 10, TraceFixture.cifar10()).run(out, d -> { });
        byte[] before = Files.readAllBytes(out.resolve("trace.csv"));

        IllegalArgumentException corruption = assertThrows(IllegalArgumentException.class,
                () -> withLimit("blur:1.5", 0, 24, TraceFixture.cifar10()).run(out, d -> { }));
        assertTrue(corruption.getMessage().contains("corruption"), corruption.getMessage());
        IllegalArgumentException model = assertThrows(IllegalArgumentException.class,
                () -> TraceFixture.trace(12, TraceFixture.cifar10(), TraceFixture.options("grayscale", 0,
                        TraceMethod.exact())).run(out, d -> { }));
        assertTrue(model.getMessage().contains("model.weights"), model.getMessage());

        // the same file, images 3 and 4 swapped: the first ten are not the ones traced
        Path bin = dir.resolve("images.bin");
        byte[] records = Files.readAllBytes(SharedAssets.resolve(TraceFixture.CIFAR10));
        Path swappedOut = dir.resolve("swapped");
        Files.write(bin, records);
        withLimit("grayscale", 0, 10, ImageSource.cifar10(bin)).run(swappedOut, d -> { });
        byte[] swapped = records.clone();
        System.arraycopy(records, 3 * 3073, swapped, 4 * 3073, 3073);
        System.arraycopy(records, 4 * 3073, swapped, 3 * 3073, 3073);
        Files.write(bin, swapped);
        IllegalArgumentException images = assertThrows(IllegalArgumentException.class,
                () -> withLimit("grayscale", 0, 24, ImageSource.cifar10(bin)).run(swappedOut, d -> { }));
        assertTrue(images.getMessage().contains("images.fingerprint"), images.getMessage());

        assertArrayEquals(before, Files.readAllBytes(out.resolve("trace.csv")), "a refused extension is left intact");
    }

    @Test
    void aSmallerLimitThanTheFolderHoldsIsRefusedSayingTheTraceIsNeverCutShort() throws IOException {
        Path out = dir.resolve("whole");
        byte[] before = Files.readAllBytes(TraceFixture.run(out, "grayscale", 0, d -> { }).csv());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> withLimit("grayscale", 0, 10, TraceFixture.cifar10()).run(out, d -> { }));
        assertTrue(e.getMessage().contains("holds a trace of the first 24 images")
                && e.getMessage().contains("never cut short") && e.getMessage().contains("TraceRow.read")
                && e.getMessage().contains("DatasetTrace.Options.limit() 10"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(out.resolve("trace.csv")));
    }

    @Test
    void aFolderWhoseSettingsHoldAnEarlierVersionsCallerIdentityResumes() throws IOException {
        Path out = dir.resolve("old");
        TraceFixture.run(out, "grayscale", 0, d -> { });
        Files.writeString(out.resolve(TraceFolder.SETTINGS), "caller.model=/models/cifar10.vit\n",
                StandardOpenOption.APPEND);
        assertEquals(TraceFixture.IMAGES, TraceFixture.run(out, "grayscale", 0, d -> { }).resumed());
    }

    private static DatasetTrace withLimit(String corruption, long seed, int limit, ImageSource source) {
        DatasetTrace.Options o = TraceFixture.options(corruption, seed, TraceMethod.exact());
        return TraceFixture.trace(11, source, new DatasetTrace.Options(o.corruption(), o.spec(), o.method(),
                o.target(), o.seed(), o.batchSize(), limit));
    }
}
