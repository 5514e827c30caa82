package io.github.vit4j.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.VitConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeaderImageWidthTest {

    private static final VitConfig DINOV2 = new VitConfig(224, 14, 3, 64, 2, 4, 256, 1e-6,
            VitConfig.numberedLabels(10), Architecture.dinov2Classifier(0, 37));

    @Test
    void aNonSquareConfigSurvivesTheHeaderWithItsWidthInFormatTwo() throws ModelFormatException {
        VitConfig wide = DINOV2.withImageSize(224, 168);
        Header header = new Header(Header.versionFor(wide), wide, Preprocessing.imagenet(224), List.of());
        String text = new String(header.render(), StandardCharsets.UTF_8);

        assertEquals(Header.VERSION_ARCHITECTURE, header.version());
        assertTrue(text.contains("\nconfig.imageSize=224\nconfig.imageWidth=168\nconfig.patchSize=14\n"), text);
        assertEquals(wide, Header.parse(header.render(), Path.of("wide.vit")).config());
    }

    @Test
    void squareConfigsWriteNoWidthAndAFileWithoutTheKeyIsSquare() throws ModelFormatException {
        for (VitConfig square : List.of(DINOV2, VitConfig.deitTiny())) {
            Header header = new Header(Header.versionFor(square), square, Preprocessing.imagenet(224), List.of());
            assertFalse(new String(header.render(), StandardCharsets.UTF_8).contains("imageWidth"),
                    "format " + header.version() + " as before the key existed");
            VitConfig back = Header.parse(header.render(), Path.of("square.vit")).config();
            assertEquals(square, back);
            assertEquals(224, back.imageWidth());
        }
    }
}
