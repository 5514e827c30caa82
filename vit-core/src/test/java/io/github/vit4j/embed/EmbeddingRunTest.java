package io.github.vit4j.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.format.Npy;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Embedding;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import io.github.vit4j.model.kernels.KernelSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link EmbeddingRun} into {@code .npy} on the first 10 CIFAR-10 test images of ../shared, batches of 4 (the last
 * one of 2), with a small seeded random model (32 px, patch 8, width 16, 2 layers): the file is {@link Vit#embed}
 * batch by batch, bit for bit; a killed run resumes to the bytes of an uninterrupted one.
 */
class EmbeddingRunTest {

    private static final VitConfig CONFIG = new VitConfig(32, 8, 3, 16, 2, 2, 32, 1e-6,
            VitConfig.numberedLabels(10));
    private static final Preprocessing PRE = Preprocessing.cifar10();

    @TempDir
    Path dir;

    private static Vit model(long seed) {
        return new Vit(VitWeights.random(CONFIG, seed), KernelSet.configured());
    }

    private static ImageSource cifar() throws IOException {
        return ImageSource.parse("cifar10:" + SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"));
    }

    private static EmbeddingRun run(Vit vit, boolean normalize) throws IOException {
        return new EmbeddingRun(vit, PRE, cifar(), new EmbeddingRun.Options(Embedding.POOLED, normalize, 4, 10));
    }

    /** A run killed after its first {@code batches} batches: they are in the partial folder, the rest is not. */
    private static void killedAfter(EmbeddingRun run, Path out, int batches) {
        IOException killed = assertThrows(IOException.class, () -> run.run(out, EmbeddingWriter.npy(),
                (from, to, sink) -> {
                    run.embed(from, Math.min(to, from + 4 * batches), sink);
                    throw new IOException("killed");
                }, done -> { }));
        assertEquals("killed", killed.getMessage());
    }

    @Test
    void theNpyHoldsVitEmbedOfEachBatchBitForBitAndTheIndexNamesEveryRow() throws IOException {
        Vit vit = model(5);
        Path out = dir.resolve("emb.npy");
        EmbeddingRun.Result result = run(vit, false).run(out, EmbeddingWriter.npy(), done -> { });
        assertEquals(new EmbeddingRun.Result(out, 10, 16, 0), result);

        INDArray written = Npy.read(out);
        assertArrayEquals(new long[] {10, 16}, written.shape());
        ImageSource source = cifar();
        for (int first = 0; first < 10; first += 4) {
            int n = Math.min(4, 10 - first);
            INDArray direct = vit.embed(source.read(first, n, PRE).input(), Embedding.POOLED);
            assertEquals(direct, written.get(NDArrayIndex.interval(first, first + n), NDArrayIndex.all()),
                    "batch from " + first);
        }
        List<String> index = Files.readAllLines(dir.resolve("emb.index.csv"));
        assertEquals(11, index.size());
        assertEquals("index,name,label", index.get(0));
        assertEquals("0,test_batch_first1017.bin#0,3", index.get(1));          // CIFAR-10's first test image: a cat
        assertEquals("9,test_batch_first1017.bin#9,1", index.get(10));
        assertFalse(Files.exists(dir.resolve("emb.npy.partial")), "the partial folder is removed");
    }

    @Test
    void normalizedRowsHaveUnitLengthAndTheDirectionOfTheRawOnes() throws IOException {
        Vit vit = model(5);
        run(vit, false).run(dir.resolve("raw.npy"), EmbeddingWriter.npy(), done -> { });
        run(vit, true).run(dir.resolve("unit.npy"), EmbeddingWriter.npy(), done -> { });
        INDArray raw = Npy.read(dir.resolve("raw.npy")).castTo(DataType.DOUBLE);
        INDArray unit = Npy.read(dir.resolve("unit.npy")).castTo(DataType.DOUBLE);
        INDArray norms = unit.norm2(1);
        assertTrue(norms.sub(1).amaxNumber().doubleValue() < 1e-6, "row norms " + norms);
        INDArray direction = raw.divColumnVector(raw.norm2(1).reshape(10, 1));
        assertTrue(direction.sub(unit).amaxNumber().doubleValue() < 1e-6);
    }

    @Test
    void aRowOfZerosStaysZeroWhenNormalised() {
        float[] rows = {3, 4, 0, 0};                                  // two rows of width 2: (3, 4) and (0, 0)
        EmbeddingRun.normalizeRows(rows, 2);
        assertArrayEquals(new float[] {0.6f, 0.8f, 0, 0}, rows);
    }

    @Test
    void aRunKilledAfterTwoBatchesResumesToTheBytesOfAnUninterruptedRun() throws IOException {
        Vit vit = model(5);
        Path whole = dir.resolve("whole.npy");
        run(vit, false).run(whole, EmbeddingWriter.npy(), done -> { });

        Path out = dir.resolve("killed.npy");
        killedAfter(run(vit, false), out, 2);
        assertFalse(Files.exists(out));
        EmbeddingRun.Result resumed = run(vit, false).run(out, EmbeddingWriter.npy(), done -> { });
        assertEquals(8, resumed.resumed());
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(out));
        assertArrayEquals(Files.readAllBytes(dir.resolve("whole.index.csv")),
                Files.readAllBytes(dir.resolve("killed.index.csv")));
    }

    @Test
    void aKillInTheMiddleOfABatchResumesFromTheLastWholeBatch() throws IOException {
        Vit vit = model(5);
        Path whole = dir.resolve("whole.npy");
        run(vit, false).run(whole, EmbeddingWriter.npy(), done -> { });

        Path out = dir.resolve("cut.npy");
        killedAfter(run(vit, false), out, 2);
        Path partial = dir.resolve("cut.npy.partial");
        Path values = partial.resolve(EmbeddingFolder.VALUES);
        assertEquals(8L * 16 * 4, Files.size(values), "two batches of 4 rows of 16 float32");
        Files.write(values, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);   // row 8 begun, not finished
        Files.writeString(partial.resolve(EmbeddingFolder.INDEX), "8\t1\ttest_batch", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);                         // and its index line cut short
        List<Integer> done = new ArrayList<>();
        EmbeddingRun.Result resumed = run(vit, false).run(out, EmbeddingWriter.npy(), done::add);
        assertEquals(8, resumed.resumed());
        assertEquals(List.of(8, 10), done);
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(out));
    }

    @Test
    void aKillAfterTheSettingsButBeforeTheValuesAndIndexResumesFromTheStart() throws IOException {
        Vit vit = model(6);
        Path whole = dir.resolve("whole.npy");
        run(vit, false).run(whole, EmbeddingWriter.npy(), done -> { });

        Path out = dir.resolve("early.npy");
        killedAfter(run(vit, false), out, 0);
        Path partial = dir.resolve("early.npy.partial");
        Files.delete(partial.resolve(EmbeddingFolder.VALUES));      // as a kill before they were created leaves it
        Files.delete(partial.resolve(EmbeddingFolder.INDEX));
        EmbeddingRun.Result resumed = run(vit, false).run(out, EmbeddingWriter.npy(), done -> { });
        assertEquals(0, resumed.resumed());
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(out));
    }

    @Test
    void aLabelPastAnIntInAnEditedIndexIsAnIoExceptionNamingTheFileAndLine() throws IOException {
        Path values = Files.write(dir.resolve(EmbeddingFolder.VALUES), new byte[8]);
        Path index = Files.writeString(dir.resolve(EmbeddingFolder.INDEX), "0\t1\ta.png\n1\t99999999999\tb.png\n");
        EmbeddingTable table = new EmbeddingTable(values, index, 2, 1);
        IOException e = assertThrows(IOException.class, () -> table.forEachImage((i, name, label) -> { }));
        assertTrue(e.getMessage().startsWith(index + " line 2: '1\t99999999999\tb.png'"), e.getMessage());
        assertThrows(IOException.class, () -> table.forEach((i, name, label, row) -> { }));
    }

    @Test
    void resumingWithOtherOptionsOrAnotherModelIsRefusedNamingWhatDiffers() throws IOException {
        Path out = dir.resolve("emb.npy");
        killedAfter(run(model(5), false), out, 1);
        IllegalArgumentException normalize = assertThrows(IllegalArgumentException.class,
                () -> run(model(5), true).run(out, EmbeddingWriter.npy(), done -> { }));
        assertTrue(normalize.getMessage().contains("normalize was 'false', now 'true'"), normalize.getMessage());
        assertFalse(normalize.getMessage().contains("model.weights"), normalize.getMessage());
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> run(model(6), false).run(out, EmbeddingWriter.npy(), done -> { }));
        assertTrue(other.getMessage().contains("model.weights was '"), other.getMessage());
        assertTrue(other.getMessage().contains("delete " + dir.resolve("emb.npy.partial")), other.getMessage());
        assertEquals(4L * 16 * 4, Files.size(dir.resolve("emb.npy.partial").resolve(EmbeddingFolder.VALUES)),
                "the refused runs leave the partial rows as they were");
    }

    @Test
    void aSecondRunIntoTheSameOutputFailsAtOnceWhileTheFirstWrites() throws IOException {
        Vit vit = model(5);
        Path out = dir.resolve("emb.npy");
        EmbeddingRun first = run(vit, false);
        IOException[] second = new IOException[1];
        first.run(out, EmbeddingWriter.npy(), (from, to, sink) -> first.embed(from, to, batch -> {
            if (second[0] == null) {
                second[0] = assertThrows(IOException.class,
                        () -> run(vit, false).run(out, EmbeddingWriter.npy(), done -> { }));
            }
            sink.accept(batch);
        }), done -> { });
        assertTrue(second[0].getMessage().contains("is being written by another embedding run"),
                second[0].getMessage());
        assertEquals(10, Npy.read(out).size(0), "the first run finished");
    }

    @Test
    void namesWithCommasQuotesAndLineBreaksAreQuotedInTheIndex() {
        assertEquals("plain.png", NpyEmbeddings.csv("plain.png"));
        assertEquals("\"a,b.png\"", NpyEmbeddings.csv("a,b.png"));
        assertEquals("\"say \"\"cheese\"\".png\"", NpyEmbeddings.csv("say \"cheese\".png"));
        String name = "tab\there\\new\nline";
        assertEquals(name, EmbeddingFolder.unescape(EmbeddingFolder.escape(name)));
        assertFalse(EmbeddingFolder.escape(name).contains("\n"));
    }
}
