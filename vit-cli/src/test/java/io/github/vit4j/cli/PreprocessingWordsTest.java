package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.image.Resample;
import io.github.vit4j.image.Resizing;
import org.junit.jupiter.api.Test;

class PreprocessingWordsTest {

    @Test
    void aShortestEdgeResizeWithACropIsNamedWithItsFilter() {
        Preprocessing dinov2 = Preprocessing.imagenet(224).withResizing(Resizing.shortestEdge(256, Resample.BICUBIC));
        assertEquals("resize the shortest edge to 256 px (rounded to whole levels, as PIL), crop the centre 224×224"
                + " px, × 1/255, then (x − mean) / std per channel: mean (0.485, 0.456, 0.406), std (0.229, 0.224,"
                + " 0.225); Pillow's BICUBIC filter", ModelOption.describe(dinov2));
        assertEquals("no resize, crop the centre 224×224 px, × 1/255, then (x − mean) / std per channel: mean (0.485,"
                + " 0.456, 0.406), std (0.229, 0.224, 0.225)",
                ModelOption.describe(Preprocessing.imagenet(224).withResizing(Resizing.cropOnly())));
    }
}
