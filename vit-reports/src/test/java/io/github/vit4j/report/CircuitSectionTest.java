package io.github.vit4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.Chromium;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The circuit section of a report page, as HTML and in a real browser: Debian's {@code chromium}, headless (as
 * vit-cli's {@code ExplainReportBrowserTest}; where it is missing those tests are skipped with the reason).
 */
class CircuitSectionTest {

    static final String HOSTILE = "</h2><script>alert(1)</script> & \"quotes\"";

    @TempDir
    Path dir;

    static CircuitSection section(List<CircuitFigure.Edge> edges) {
        return new CircuitSection(HOSTILE, List.of("model <cifar10>", "corruption grayscale"), edges, 2, 2,
                List.of(new FaithfulnessPlot.Curve("|score|", new int[] {0, 3, 6}, new double[] {0, 0.6, 1})),
                6, 3);
    }

    @Test
    void theSectionHoldsBothFiguresInlineAndTheTopEdgesByAbsoluteScoreWithOutsideTextEscaped() {
        String html = section(CircuitFigureTest.EDGES).html();
        assertTrue(html.startsWith("<section class=\"circuit\">"), html);
        assertFalse(html.contains("<script>"), "the title is text, not markup");
        assertTrue(html.contains("&lt;/h2&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"));
        assertTrue(html.contains("model &lt;cifar10&gt;"));
        assertEquals(2, html.split("<svg", -1).length - 1, "the circuit and the faithfulness plot");
        assertTrue(html.contains("id='node:logits'"), "the figure's nodes, by id");
        Matcher rows = Pattern.compile("<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>")
                .matcher(html);
        StringBuilder order = new StringBuilder();
        while (rows.find()) {
            order.append(rows.group(1)).append("→").append(rows.group(2)).append(' ').append(rows.group(4))
                    .append("; ");
        }
        assertEquals("blocks.0.head.0→blocks.0.mlp 1.000; blocks.0.mlp→blocks.1.head.1 -0.7000; "
                + "input→blocks.0.head.0 0.5000; ", order.toString(), "the 3 edges of largest |score|, largest first");
    }

    @Test
    void anEmptyCircuitsSectionSaysSoAndHasNoTable() {
        String html = section(List.of()).html();
        assertTrue(html.contains("The circuit has no edges."), html);
        assertFalse(html.contains("<table"));
    }

    /** The section in a page, loaded by headless chromium: both figures laid out with ink, the table in the DOM. */
    @Test
    void theSectionRendersInABrowser() throws Exception {
        String browser = Chromium.find().orElse(null);
        Assumptions.assumeTrue(browser != null, Chromium.MISSING);
        Path page = dir.resolve("page.html");
        Files.writeString(page, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>circuit</title></head><body>"
                + section(CircuitFigureTest.EDGES).html() + "</body></html>", StandardCharsets.UTF_8);
        String dom = run(browser, page, "--dump-dom");
        assertTrue(dom.contains("id=\"edge:blocks.0.head.0:blocks.0.mlp:mlp\""), dom);
        assertEquals(3, Pattern.compile("<tr><td>").matcher(dom).results().count(), "three table rows");
        assertFalse(dom.contains("<script>alert"), "no script from the title");
        Path shot = dir.resolve("shot.png");
        run(browser, page, "--screenshot=" + shot);
        BufferedImage image = ImageIO.read(shot.toFile());
        int red = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                red += ((rgb >> 16) & 0xff) > 150 && ((rgb >> 8) & 0xff) < 90 && (rgb & 0xff) < 90 ? 1 : 0;
            }
        }
        assertTrue(red > 100, "the positive edges are on screen in red: " + red + " pixels");
    }

    private String run(String browser, Path page, String action) throws Exception {
        Path profile = Files.createTempDirectory(dir, "profile");
        List<String> command = List.of(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--virtual-time-budget=3000", "--window-size=1200,1400",
                "--hide-scrollbars", action, page.toUri().toString());
        Path out = dir.resolve("browser.out");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile())
                .redirectError(dir.resolve("browser.err").toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 60 s: " + command);
        }
        return Files.readString(out, StandardCharsets.UTF_8);
    }
}
