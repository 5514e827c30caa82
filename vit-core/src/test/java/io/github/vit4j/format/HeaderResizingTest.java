package io.github.vit4j.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.image.Resample;
import io.github.vit4j.image.Resizing;
import io.github.vit4j.model.VitConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeaderResizingTest {

    @Test
    void aResizingSurvivesTheHeaderAndIsWrittenOnlyWhenPresent() throws ModelFormatException {
        Preprocessing clip = Preprocessing.imagenet(224).withResizing(Resizing.shortestEdge(256, Resample.BICUBIC));
        Header with = new Header(Header.VERSION, VitConfig.deitTiny(), clip, List.of());
        Header without = new Header(Header.VERSION, VitConfig.deitTiny(), Preprocessing.imagenet(224), List.of());

        String text = new String(with.render(), StandardCharsets.UTF_8);
        assertTrue(text.contains("\npreprocessing.resizing=SHORTEST_EDGE 256 BICUBIC\n"), text);
        assertEquals(clip, Header.parse(with.render(), Path.of("clip.vit")).preprocessing());
        assertFalse(new String(without.render(), StandardCharsets.UTF_8).contains("resizing"),
                "absent: the header is the same as before the key existed");
        assertEquals(Preprocessing.imagenet(224), Header.parse(without.render(), Path.of("deit.vit")).preprocessing());
    }

    @Test
    void aResizingThatDoesNotParseIsRefusedNamingTheFileAndTheText() {
        Preprocessing clip = Preprocessing.imagenet(224).withResizing(Resizing.square(224, Resample.BICUBIC));
        String text = new String(new Header(Header.VERSION, VitConfig.deitTiny(), clip, List.of()).render(),
                StandardCharsets.UTF_8);
        String body = text.substring(0, text.indexOf(Header.CHECKSUM_KEY)).replace("224 BICUBIC", "224 CUBIC");
        byte[] bytes = (body + Header.CHECKSUM_KEY + "=" + Header.hex(Header.crc32c(body.getBytes(
                StandardCharsets.UTF_8))) + "\n").getBytes(StandardCharsets.UTF_8);

        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> Header.parse(bytes, Path.of("bad.vit")));
        assertTrue(e.getMessage().startsWith("bad.vit: the header's preprocessing is invalid: resizing \"SQUARE 224 "
                + "CUBIC\""), e.getMessage());
    }
}
