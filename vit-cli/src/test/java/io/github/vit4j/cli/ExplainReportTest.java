package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.vit4j.SharedAssets;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.image.Preprocessing;
import io.github.vit4j.model.Predictions;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code report.html}'s text without a browser ({@link ExplainReportBrowserTest} opens it in one): whatever labels
 * and file names hold, the page's only {@code <script>} elements are its own two, and its data reads back as given;
 * attention maps past the page's cap are left out with a note.
 */
class ExplainReportTest {

    /** Labels and image names that end, comment out or reopen a script element, or break a JavaScript line. */
    static final List<String> HOSTILE = List.of("<!--<script>", "</script><script>alert(1)</script>",
            "line\u2028para\u2029end", "\"double\" 'single' `back`", "&amp; &lt; &#60;", "]]> -->");

    @TempDir
    Path dir;

    @Test
    void hostileTextInLabelsAndFileNamesStaysInsideTheJsonAndReadsBackUnchanged() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        HtmlSafeJson.write(bytes, Map.of("names", HOSTILE));
        String json = bytes.toString(StandardCharsets.UTF_8);
        for (String forbidden : List.of("<", ">", "&", "\u2028", "\u2029")) {
            assertFalse(json.contains(forbidden), forbidden + " in " + json);
        }
        assertEquals(HOSTILE, new ObjectMapper().readValue(json, Map.class).get("names"));

        Path page = report(dir, hostileConfig(), 2, ExplainReport.ATTENTION_BYTES, ExplainReport.PICTURE_BYTES)
                .write(dir, HOSTILE);
        String html = Files.readString(page);
        assertEquals(2, count(html, "<script"), "the page's own two script elements, nothing opened by the data");
        assertEquals(2, count(html, "</script"));
        assertFalse(html.contains("<!--"));
        JsonNode data = data(html);
        assertEquals(HOSTILE.get(0), data.get("images").get(0).get("name").asText());
        assertEquals(HOSTILE.get(1), data.get("images").get(1).get("name").asText());
        assertEquals("vit " + String.join(" ", HOSTILE), data.get("command").asText());
        assertTrue(HOSTILE.contains(data.get("images").get(0).get("label").asText()));
    }

    @Test
    void attentionMapsThatWouldTakeThePagePastItsCapAreLeftOutWithANote() throws IOException {
        VitConfig config = VitConfig.cifar10();
        long oneImage = (long) config.layers() * config.heads() * config.tokens() * config.patches();
        ExplainReport report = report(dir, config, 3, oneImage * 2 - 1, ExplainReport.PICTURE_BYTES); // one's maps
        Path page = report.write(dir, List.of("explain"));

        assertEquals(2, report.leftOut());
        JsonNode images = data(Files.readString(page)).get("images");
        assertEquals(oneImage, images.get(0).get("attention").get("data").binaryValue().length);
        for (int i = 1; i < 3; i++) {
            assertFalse(images.get(i).has("attention"));
            String note = images.get(i).get("attentionNote").asText();
            assertTrue(note.startsWith("Attention maps left out") && note.contains("at most 0.1 MB"), note);
        }
        assertTrue(Files.size(page) < 4 * oneImage / 3 + 200_000, "one image's maps: " + Files.size(page));
    }

    /**
     * A report into {@code dir} of the first {@code n} CIFAR-10 test images, named from {@link #HOSTILE}, each
     * picture a PNG in {@code dir}.
     */
    static ExplainReport report(Path dir, VitConfig config, int n, long attentionBytes, long pictureBytes)
            throws IOException {
        Path png = dir.resolve("0/image.png");
        Files.createDirectories(png.getParent());
        writePng(png);
        ImageSource.Batch batch = ImageSource.cifar10(SharedAssets.resolve("data/cifar10/test_batch_first1017.bin"))
                .read(0, n, Preprocessing.cifar10());
        ExplainReport report = new ExplainReport("model " + HOSTILE.get(0), config, List.of(ExplainMethod.SALIENCY),
                attentionBytes, pictureBytes);
        List<ExplainReport.Image> images = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = HOSTILE.get(i % HOSTILE.size());
            List<Predictions.Prediction> top = List.of(new Predictions.Prediction(i, config.labels().get(i), 0.5));
            ExplainReport.Image image = report.image(i, name, i, top, png);
            image.add(ExplainMethod.SALIENCY, png, name, null);
            images.add(image);
        }
        report.addPatterns(new Vit(VitWeights.random(config, 3)), batch, images);
        return report;
    }

    @Test
    void picturesPastThePagesCapAreLinkedToTheirFilesBesideThePageWhichSaysSo() throws IOException {
        long png = Files.size(writePng(dir.resolve("probe.png")));
        ExplainReport report = report(dir, VitConfig.cifar10(), 2, 0, 3 * png);
        Path page = report.write(dir, List.of("explain"));
        assertEquals(1, report.linked());

        JsonNode data = data(Files.readString(page));
        List<String> sources = new ArrayList<>();
        for (JsonNode image : data.get("images")) {
            sources.add(image.get("image").asText());
            image.get("figures").forEach(f -> sources.add(f.get("png").asText()));
        }
        assertEquals(4, sources.size());
        assertEquals(3, sources.stream().filter(s -> s.startsWith("data:image/png;base64,")).count());
        assertEquals("0/image.png", sources.get(3));
        assertTrue(data.get("picturesNote").asText().startsWith("1 of the 4 pictures are read from the files"),
                data.toString());
    }

    /** CIFAR-10's model with {@link #HOSTILE} labels. */
    static VitConfig hostileConfig() {
        return VitConfig.cifar10().withLabels(IntStream.range(0, 10).mapToObj(i -> HOSTILE.get(i % HOSTILE.size()))
                .toList());
    }

    private static JsonNode data(String html) throws IOException {
        Matcher m = Pattern.compile("id=\"vit4j-data\">(.*?)</script>", Pattern.DOTALL).matcher(html);
        assertTrue(m.find());
        return new ObjectMapper().readTree(m.group(1));
    }

    private static Path writePng(Path file) throws IOException {
        ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png", file.toFile());
        return file;
    }

    private static int count(String text, String what) {
        return text.split(Pattern.quote(what), -1).length - 1;
    }
}
