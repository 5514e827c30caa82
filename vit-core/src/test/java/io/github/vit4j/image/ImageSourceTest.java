package io.github.vit4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.model.Input;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ImageSourceTest {

    private static final Path BATCH = SharedAssets.resolve("data/cifar10/test_batch_first1017.bin");

    @TempDir
    Path tmp;

    @Test
    void aCifarSpecGivesNamedLabelledPixelsInTheUnitRange() throws IOException {
        ImageSource source = ImageSource.parse("cifar10:" + BATCH);

        ImageSource.Batch batch = source.read(3, 2, Preprocessing.cifar10());

        assertEquals(1017, source.size());
        assertEquals(List.of("test_batch_first1017.bin#3", "test_batch_first1017.bin#4"), batch.names());
        assertArrayEquals(new int[] {0, 6}, batch.labels());
        assertEquals(OptionalInt.of(0), batch.label(0));
        assertEquals(4, batch.index(1));
        assertEquals(Preprocessing.cifar10().pixels(Cifar10.read(BATCH, 3, 2).images()), batch.pixels());
        assertEquals(Preprocessing.cifar10(), batch.preprocessing());
    }

    @Test
    void aBatchsInputIsItsPixelsNormalised() throws IOException {
        Preprocessing p = Preprocessing.cifar10();
        ImageSource.Batch batch = ImageSource.cifar10(BATCH).read(0, 4, p);

        INDArray input = ((Input.Pixels) batch.input()).pixels();

        INDArray applied = p.apply(Cifar10.read(BATCH, 0, 4).images());
        assertTrue(batch.pixels().minNumber().doubleValue() >= 0 && batch.pixels().maxNumber().doubleValue() <= 1);
        assertEquals(0, input.sub(applied).amaxNumber().doubleValue(), 1e-6);
    }

    @Test
    void heldImagesKeepTheirIndicesInTheWholeDatasetAndReadAsTheFileDoes() throws IOException {
        Cifar10.Records records = Cifar10.read(BATCH, 40, 8);
        ImageSource held = ImageSource.held("test_batch_first1017.bin", 40, records.labels(), records.images(),
                OptionalInt.of(Cifar10.CLASSES));

        ImageSource.Batch batch = held.read(42, 3, Preprocessing.cifar10());

        assertEquals(48, held.size());
        assertEquals(42, batch.index(0));
        ImageSource.Batch fromFile = ImageSource.cifar10(BATCH).read(42, 3, Preprocessing.cifar10());
        assertEquals(fromFile.names(), batch.names());
        assertArrayEquals(fromFile.labels(), batch.labels());
        assertEquals(fromFile.pixels(), batch.pixels());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> held.read(39, 2, Preprocessing.cifar10()));
        assertTrue(e.getMessage().contains("images 39 .. 40") && e.getMessage().contains("only 40 .. 47"),
                e.getMessage());
    }

    /**
     * The mistake of issue 9: {@code read} gave normalised pixels and {@code readPixels} [0, 1] ones, and either went
     * into {@code Input.pixels} without a word. Now a batch holds one kind, [0, 1] pixels with the preprocessing, and
     * its model input is normalised once; normalising it a second time is refused.
     */
    @Test
    void normalisedPixelsGivenAsRawPixelsAreRefusedWithTheFactoryForThem() throws IOException {
        ImageSource.Batch batch = ImageSource.cifar10(BATCH).read(0, 2, Preprocessing.cifar10());
        INDArray normalised = ((Input.Pixels) batch.input()).pixels();

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Input.pixels(normalised, batch.preprocessing()));

        assertTrue(e.getMessage().contains("normalised already") && e.getMessage().contains("Input.normalized"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageSource.Batch.of(normalised, batch.preprocessing())
                .input());
    }

    @Test
    void bytesThatWereNeverRescaledAreRefused() {
        INDArray bytes = Nd4j.ones(DataType.FLOAT, 1, 3, 32, 32).muli(200);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Input.pixels(bytes, Preprocessing.cifar10()));

        assertTrue(e.getMessage().contains("200.0") && e.getMessage().contains("not rescaled"), e.getMessage());
    }

    @Test
    void aBatchWithOtherPixelsKeepsItsImagesAndRefusesAnotherShape() throws IOException {
        ImageSource.Batch batch = ImageSource.cifar10(BATCH).read(5, 2, Preprocessing.cifar10());
        INDArray gray = Nd4j.ones(DataType.FLOAT, 2, 3, 32, 32).muli(0.5);

        ImageSource.Batch changed = batch.withPixels(gray);

        assertEquals(batch.names(), changed.names());
        assertArrayEquals(batch.labels(), changed.labels());
        assertEquals(5, changed.first());
        assertEquals(gray, changed.pixels());
        assertThrows(IllegalArgumentException.class, () -> batch.withPixels(Nd4j.zeros(1, 3, 32, 32)));
    }

    @Test
    void batchesCoverEverythingInOrder() throws IOException {
        List<Integer> sizes = new ArrayList<>();
        List<Integer> firsts = new ArrayList<>();
        for (ImageSource.Batch b : ImageSource.cifar10(BATCH).batches(256, Preprocessing.cifar10())) {
            sizes.add(b.size());
            firsts.add(b.first());
        }

        assertEquals(List.of(256, 256, 256, 249), sizes);
        assertEquals(List.of(0, 256, 512, 768), firsts);
    }

    @Test
    void aFolderSpecReadsItsImagesSortedByNameWithUnknownLabels() throws IOException {
        write(0xFF0000, "b.png");
        write(0x0000FF, "a.png");

        ImageSource source = ImageSource.parse(tmp.toString());
        ImageSource.Batch batch = source.read(0, 2, Preprocessing.unitRange(2));

        assertEquals(List.of("a.png", "b.png"), source.names());
        assertArrayEquals(new int[] {ImageSource.UNKNOWN_LABEL, ImageSource.UNKNOWN_LABEL}, batch.labels());
        assertEquals(OptionalInt.empty(), batch.label(0));
        assertEquals(1.0, batch.pixels().getDouble(0, 2, 0, 0), 0);   // a.png is blue
        assertEquals(1.0, batch.pixels().getDouble(1, 0, 1, 1), 0);   // b.png is red
    }

    @Test
    void aSingleImageSpecIsOneImage() throws IOException {
        Path snake = SharedAssets.resolve("data/images/imagenet_val_00000001.png");

        ImageSource source = ImageSource.parse(snake.toString());
        ImageSource.Batch batch = source.read(0, 1, Preprocessing.imagenet(224));

        assertEquals(List.of("imagenet_val_00000001.png"), source.names());
        assertArrayEquals(new long[] {1, 3, 224, 224}, batch.pixels().shape());
    }

    @Test
    void specsThatNameNothingUsableAreRejectedWithTheAcceptedForms() throws IOException {
        Path bin = Files.write(tmp.resolve("data.bin"), new byte[3073]);

        String missing = assertThrows(IllegalArgumentException.class,
                () -> ImageSource.parse(tmp.resolve("nope.png").toString())).getMessage();
        String binWithoutPrefix = assertThrows(IllegalArgumentException.class,
                () -> ImageSource.parse(bin.toString())).getMessage();
        String unknownKind = assertThrows(IllegalArgumentException.class,
                () -> ImageSource.parse("cifar100:x.bin")).getMessage();

        assertTrue(missing.contains("no such file or folder") && missing.contains("cifar10:PATH.bin"), missing);
        assertTrue(binWithoutPrefix.contains("write cifar10:" + bin), binWithoutPrefix);
        assertTrue(unknownKind.contains("unknown kind 'cifar100:'"), unknownKind);
    }

    @Test
    void aRangeOutsideTheSourceIsRejected() throws IOException {
        ImageSource source = ImageSource.cifar10(BATCH);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> source.read(1016, 2, Preprocessing.cifar10()));

        assertTrue(e.getMessage().contains("images 1016 .. 1017 requested"), e.getMessage());
    }

    @Test
    void anEmptyCifarFileIsRefusedNamingItRatherThanBeingASourceOfNoImages() throws IOException {
        Path empty = Files.write(tmp.resolve("empty.bin"), new byte[0]);

        IOException e = assertThrows(IOException.class, () -> ImageSource.cifar10(empty));

        assertTrue(e.getMessage().startsWith("CIFAR-10 file " + empty + " holds no records"), e.getMessage());
    }

    @Test
    void aCifarSourceKnowsItsLabelsAreTenClassesAndImageFilesHaveNone() throws IOException {
        write(0x000000, "a.png");

        assertEquals(OptionalInt.of(10), ImageSource.cifar10(BATCH).labelClasses());
        assertEquals(OptionalInt.empty(), ImageSource.imageFolder(tmp).labelClasses());
    }

    @Test
    void cifarLabelsDoNotFitAThousandClassModelAndTheMessageSaysWhatToDoInstead() throws IOException {
        ImageSource source = ImageSource.cifar10(BATCH);
        source.checkLabelsFit(10, "track the clean top-1");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> source.checkLabelsFit(1000, "track the clean top-1"));

        assertEquals("the labels of cifar10:" + BATCH + " are CIFAR-10's 10 classes but the model has 1000 classes,"
                + " so they cannot be scored against its predictions; track the clean top-1", e.getMessage());
    }

    private void write(int rgb, String name) throws IOException {
        BufferedImage image = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 2; x++) {
                image.setRGB(x, y, rgb);
            }
        }
        ImageIO.write(image, "png", tmp.resolve(name).toFile());
    }
}
