package io.github.vit4j.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.format.ModelFormatException;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.image.Resample;
import io.github.vit4j.image.Resizing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreprocessorConfigTest {

    @TempDir
    Path dir;

    @Test
    void clipsProcessorResizesTheShortestEdgeBicubicallyAndCropsTheCentre() throws IOException {
        PartialPreprocessing p = ConfigFiles.huggingFacePreprocessor(
                SharedAssets.resolve("reference/families/preprocessing/preproc_clip.preprocessor_config.json"));

        assertEquals(new Preprocessing(224, 0.00392156862745098, new double[] {0.48145466, 0.4578275, 0.40821073},
                new double[] {0.26862954, 0.26130258, 0.27577711})
                .withResizing(Resizing.shortestEdge(224, Resample.BICUBIC)), p.complete(518));
    }

    @Test
    void dinov2sAndDistilledDeitsProcessorsResizeTo256AndCrop224() throws IOException {
        PartialPreprocessing dinov2 = ConfigFiles.huggingFacePreprocessor(
                SharedAssets.resolve("models/families/dinov2-tiny/preprocessor_config.hf.json"));
        assertEquals(Optional.of(Resizing.shortestEdge(256, Resample.BICUBIC)), dinov2.complete(518).resizing());
        assertEquals(224, dinov2.complete(518).size(), "the crop, not the model's 518");

        PartialPreprocessing deit = ConfigFiles.huggingFacePreprocessor(
                SharedAssets.resolve("models/families/deit-distilled-tiny/preprocessor_config.hf.json"));
        assertEquals(Optional.of(Resizing.square(256, Resample.BICUBIC)), deit.complete(224).resizing());
        assertEquals(224, deit.complete(224).size());
    }

    @Test
    void aProcessorWithResizeAndCropOffLeavesImagesOfTheModelsSizeAlone() throws IOException {
        // the families' own configs: do_resize and do_center_crop false (their images are at the model's size)
        PartialPreprocessing p = ConfigFiles.huggingFacePreprocessor(
                SharedAssets.resolve("models/families/dinov2-tiny/preprocessor_config.json"));
        assertNull(p.resizing);
        assertEquals(new Preprocessing(224, 1 / 255.0, new double[] {0.485, 0.456, 0.406},
                new double[] {0.229, 0.224, 0.225}), p.complete(224));
    }

    @Test
    void anIntegerSizeIsAShortestEdgeForClipAndASquareForViTAndCropOnlyCrops() throws IOException {
        assertEquals(Resizing.shortestEdge(224, Resample.BICUBIC), read("{\"image_processor_type\":"
                + " \"CLIPImageProcessor\", \"size\": 224, \"crop_size\": 224}").resizing);
        assertEquals(Resizing.square(384, Resample.BILINEAR), read("{\"feature_extractor_type\":"
                + " \"ViTFeatureExtractor\", \"size\": 384, \"resample\": 2}").resizing);
        PartialPreprocessing cropOnly = read("{\"image_processor_type\": \"BitImageProcessor\", \"do_resize\": false,"
                + " \"crop_size\": {\"height\": 200, \"width\": 200}}");
        assertEquals(Resizing.cropOnly(), cropOnly.resizing);
        assertEquals(200, cropOnly.size);
    }

    @Test
    void anUnknownResampleCodeIsRefusedNamingItAndTheKnownOnes() throws IOException {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> read("{\"size\": {\"height\": 224, \"width\": 224}, \"resample\": 6}"));
        assertTrue(e.getMessage().contains("resample 6 is not supported: resample 6 is not one of Pillow's filters:"
                + " expected one of [0 (NEAREST), 1 (LANCZOS), 2 (BILINEAR), 3 (BICUBIC), 4 (BOX), 5 (HAMMING)]"),
                e.getMessage());
    }

    @Test
    void aShortestEdgeWithoutACropOrANonSquareCropIsRefusedNamingTheKey() {
        ModelFormatException edge = assertThrows(ModelFormatException.class, () -> read("{\"image_processor_type\":"
                + " \"CLIPImageProcessor\", \"size\": {\"shortest_edge\": 224}, \"do_center_crop\": false}"));
        assertTrue(edge.getMessage().contains("size.shortest_edge 224 without do_center_crop is not supported"),
                edge.getMessage());
        ModelFormatException crop = assertThrows(ModelFormatException.class, () -> read("{\"image_processor_type\":"
                + " \"CLIPImageProcessor\", \"size\": {\"shortest_edge\": 224}, \"crop_size\": {\"height\": 224,"
                + " \"width\": 192}}"));
        assertTrue(crop.getMessage().contains("crop_size.height 224 (width 192) is not supported"),
                crop.getMessage());
    }

    @Test
    void aMappingFileStatesAResizingAndABadOneIsRefusedNamingTheKey() throws IOException {
        Path good = Files.writeString(dir.resolve("good.properties"), "preprocessing.resizing = SHORTEST_EDGE 256"
                + " BICUBIC\n");
        Path bad = Files.writeString(dir.resolve("bad.properties"), "preprocessing.resizing = 256 BICUBIC\n");

        assertEquals(Resizing.shortestEdge(256, Resample.BICUBIC), MappingFile.read(good).preprocessing().resizing);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> MappingFile.read(bad));
        assertTrue(e.getMessage().startsWith(bad + ": preprocessing.resizing = 256 BICUBIC; resizing \"256 BICUBIC\""
                + " is not RULE EDGE FILTER"), e.getMessage());
    }

    @Test
    void aProcessorWithoutSizeTakesItsTypesHuggingFaceDefaultSize() throws IOException {
        assertEquals(Resizing.shortestEdge(224, Resample.BICUBIC),
                read("{\"image_processor_type\": \"CLIPImageProcessor\", \"crop_size\": 224}").resizing);
        assertEquals(Resizing.shortestEdge(224, Resample.BICUBIC),
                read("{\"image_processor_type\": \"BitImageProcessor\"}").resizing);
        PartialPreprocessing deit = read("{\"image_processor_type\": \"DeiTImageProcessor\"}");
        assertEquals(Resizing.square(256, Resample.BICUBIC), deit.resizing);
        assertEquals(224, deit.size, "DeiT's default crop");
    }

    @Test
    void aResizeEdgePastTheImageSizeLimitIsRefusedNamingTheKey() {
        ModelFormatException edge = assertThrows(ModelFormatException.class,
                () -> read("{\"size\": {\"shortest_edge\": 100000}, \"do_center_crop\": true}"));
        assertTrue(edge.getMessage().contains("size.shortest_edge 100000 is not supported"), edge.getMessage());
        ModelFormatException side = assertThrows(ModelFormatException.class,
                () -> read("{\"size\": {\"height\": 100000, \"width\": 100000}, \"resample\": 3}"));
        assertTrue(side.getMessage().contains("size 100000 is not supported"), side.getMessage());
    }

    private PartialPreprocessing read(String json) throws IOException {
        return ConfigFiles.huggingFacePreprocessor(Files.writeString(dir.resolve("preprocessor_config.json"), json));
    }
}
