package io.github.vit4j.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.corruption.Corruption;
import io.github.vit4j.image.Cifar10;
import io.github.vit4j.image.ImageSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A dataset trace in memory: the rows and summary the on-disk form writes, without any folder. */
class DatasetTraceInMemoryTest {

    @TempDir
    Path dir;

    @Test
    void anInMemoryTraceGivesTheRowsAndTheSummaryThatTheOnDiskTraceWrites() throws IOException {
        DatasetTrace.Result onDisk = TraceFixture.run(dir.resolve("disk"), "noise:3", 7, d -> { });
        List<Integer> progress = new ArrayList<>();
        DatasetTrace.Traced inMemory = TraceFixture.trace("noise:3", 7).trace(progress::add);

        assertEquals(TraceRow.read(onDisk.csv()), inMemory.rows());
        assertEquals(TraceFixture.IMAGES * DatasetTraceTest.ROWS_PER_IMAGE, inMemory.rows().size());
        assertEquals(onDisk.corruption().describe(), inMemory.corruption().describe());
        assertSameSummary(onDisk.summary(), inMemory.summary());
        assertEquals(TraceFixture.IMAGES, progress.get(progress.size() - 1));
        assertEquals(List.of(dir.resolve("disk")), Files.list(dir).toList(), "the in-memory trace wrote no folder");
    }

    @Test
    void aRangeGivesTheRowsTheOnDiskTraceWritesForThoseImages() throws IOException {
        for (TraceMethod method : List.of(TraceMethod.exact(), TraceMethod.atp())) {
            DatasetTrace.Result onDisk = TraceFixture.trace("noise:3", 7, method).run(dir.resolve(method.label()),
                    d -> { });
            List<TraceRow> images7To14 = TraceRow.read(onDisk.csv()).stream()
                    .filter(r -> r.image() >= 7 && r.image() < 15).toList();
            List<Integer> progress = new ArrayList<>();
            // 7 is in the middle of the batch 5 .. 9: the range is computed in the same batches as on disk
            DatasetTrace.Traced range = TraceFixture.trace("noise:3", 7, method).trace(7, 15, progress::add);
            assertEquals(images7To14, range.rows(), method.label());
            assertEquals(8, range.summary().images());
            assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8), progress, "the range's images done");
        }
    }

    @Test
    void aRangeOutsideTheTracedImagesIsRefusedNamingItAndTheLimit() throws IOException {
        DatasetTrace trace = TraceFixture.trace("grayscale", 0);
        for (int[] range : new int[][] {{-1, 3}, {5, 5}, {20, TraceFixture.IMAGES + 1}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> trace.trace(range[0], range[1], d -> { }));
            assertTrue(e.getMessage().contains("images " + range[0] + " .. " + (range[1] - 1))
                    && e.getMessage().contains("DatasetTrace.Options.limit() " + TraceFixture.IMAGES), e.getMessage());
        }
    }

    /**
     * What a distributed trace does (vit-spark): calibrate once, then trace each batch over a source that holds only
     * that batch's images, at their indices in the whole, with the calibrated corruption in the options.
     */
    @Test
    void aBatchHeldAloneWithTheCalibratedCorruptionGivesTheWholeTracesRows() throws IOException {
        DatasetTrace whole = TraceFixture.trace("noise:3", 7);
        DatasetTrace.Traced expected = whole.trace(d -> { });
        Corruption calibrated = whole.calibrated();
        assertEquals(expected.corruption(), calibrated);
        assertTrue(Corruption.parse("noise:3").needsCalibration() && !calibrated.needsCalibration());

        Cifar10.Records records = Cifar10.read(SharedAssets.resolve(TraceFixture.CIFAR10), 10, 5);   // batch 2
        ImageSource held = ImageSource.held("cifar", 10, records.labels(), records.images(),
                OptionalInt.of(Cifar10.CLASSES));
        DatasetTrace.Options o = TraceFixture.options("noise:3", 7, TraceMethod.exact());
        DatasetTrace alone = TraceFixture.trace(11, held, new DatasetTrace.Options(calibrated, o.spec(), o.method(),
                o.target(), o.seed(), o.batchSize(), 15));

        List<TraceRow> rows = alone.trace(10, 15, d -> { }).rows();

        int perImage = DatasetTraceTest.ROWS_PER_IMAGE;
        assertEquals(expected.rows().subList(10 * perImage, 15 * perImage), rows);
    }

    static void assertSameSummary(TraceSummary expected, TraceSummary actual) {
        assertEquals(expected.images(), actual.images());
        assertEquals(expected.kinds(), actual.kinds());
        assertEquals(expected.pClean(), actual.pClean());
        assertEquals(expected.pCorrupt(), actual.pCorrupt());
        for (SweepKind k : expected.kinds()) {
            assertArrayEquals(expected.mean().get(k), actual.mean().get(k), k.label());
            assertArrayEquals(expected.ci95().get(k), actual.ci95().get(k), k.label());
            assertArrayEquals(expected.count().get(k), actual.count().get(k), k.label());
        }
    }
}
