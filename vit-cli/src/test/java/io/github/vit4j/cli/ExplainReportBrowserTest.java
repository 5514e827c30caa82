package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.vit4j.Chromium;
import io.github.vit4j.SharedAssets;
import io.github.vit4j.model.VitConfig;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code report.html} in a real browser: Debian's {@code chromium}, headless ({@code .ci/run} installs it; where it
 * is missing the tests are skipped with the reason). The page's script marks {@code <body>} when it has drawn
 * everything ({@code data-ready}, {@code data-errors}, {@code data-images}) and each attention grid with the query
 * shown and a checksum of its maps; {@code --dump-dom} reads them back, {@code --screenshot} shows the pixels.
 */
class ExplainReportBrowserTest {

    @TempDir
    static Path dir;

    static String browser;

    @BeforeAll
    static void reportOfOneImage() {
        browser = Chromium.find().orElse(null);
        Assumptions.assumeTrue(browser != null, Chromium.MISSING);
        CliRun run = CliRun.of("explain", "--limit", "1", "--methods", "saliency,rollout,attention,logit-lens",
                "--out", dir.toString());
        assertEquals(0, run.exitCode(), run.toString());
    }

    @Test
    void thePageLoadsWithNoScriptErrorsAndEveryImageAndChartDrawn() throws Exception {
        Browser page = browse("#query=0", "--dump-dom");
        assertTrue(page.out().contains("data-ready=\"true\""), "the script finished: " + body(page.out()));
        assertTrue(page.out().contains("data-errors=\"0\""), body(page.out()));
        Matcher images = Pattern.compile("data-images=\"(\\d+)/(\\d+)\"").matcher(page.out());
        assertTrue(images.find(), body(page.out()));
        assertEquals(images.group(2), images.group(1), "every <img> decoded");
        assertEquals("5", images.group(2), "the original and the figures of 4 methods: " + images.group());
        Matcher lens = Pattern.compile("class=\"lens\"[^>]*data-inked=\"(\\d+)\"").matcher(page.out());
        assertTrue(lens.find() && Integer.parseInt(lens.group(1)) > 1000, "the logit-lens chart has ink");
        List<String> console = page.err().lines().filter(l -> l.contains("CONSOLE")).toList();
        assertEquals(List.of(), console, "nothing written to the console");
    }

    @Test
    void choosingAQueryPatchChangesEveryAttentionMap() throws Exception {
        String cls = browse("#query=0", "--dump-dom").out();
        String patch = browse("#query=20", "--dump-dom").out();
        assertTrue(patch.contains("data-query=\"20\""), body(patch));
        assertNotEquals(sums(cls), sums(patch), "the heads' maps for CLS and for patch token 20");
        List<String> a = sums(cls);
        List<String> b = sums(patch);
        assertEquals(16, a.size(), "4 layers × 4 heads");
        for (int m = 0; m < a.size(); m++) {
            assertNotEquals(a.get(m), b.get(m), "map " + m + " changes with the query");
        }
        // and on screen: the grid (scrolled into view) differs between the two queries
        Path first = dir.resolve("cls.png");
        Path second = dir.resolve("patch.png");
        browse("#show=attention&query=0", "--screenshot=" + first);
        browse("#show=attention&query=20", "--screenshot=" + second);
        BufferedImage x = ImageIO.read(first.toFile());
        BufferedImage y = ImageIO.read(second.toFile());
        assertTrue(colours(x) > 200, "the attention grid is drawn (many colours), got " + colours(x));
        int changed = 0;
        for (int r = 0; r < x.getHeight(); r++) {
            for (int c = 0; c < x.getWidth(); c++) {
                changed += x.getRGB(c, r) != y.getRGB(c, r) ? 1 : 0;
            }
        }
        assertTrue(changed > 5000, "pixels that changed with the query: " + changed);
    }

    @Test
    void aPageOfHostileLabelsAndFileNamesRendersWithThemAsText() throws Exception {
        // a model whose id2label and a folder whose file names end, comment out or reopen a script element
        Path model = Files.createDirectories(dir.resolve("hostile-model"));
        Path shared = SharedAssets.resolve("models/simplevit-cifar10/hf");
        ObjectNode config = (ObjectNode) new ObjectMapper().readTree(shared.resolve("config.json").toFile());
        ObjectNode labels = config.putObject("id2label");
        for (int k = 0; k < 10; k++) {
            labels.put(Integer.toString(k), ExplainReportTest.HOSTILE.get(k % ExplainReportTest.HOSTILE.size()) + k);
        }
        config.remove("label2id");
        new ObjectMapper().writeValue(model.resolve("config.json").toFile(), config);
        for (String file : List.of("model.safetensors", "preprocessor_config.json")) {
            Files.copy(shared.resolve(file), model.resolve(file));
        }
        Path images = Files.createDirectories(dir.resolve("hostile-images"));
        List<String> names = List.of("<!--<script>", "line\u2028para\u2029end", "\"double\" 'single' &amp;");
        for (String name : names) {
            Files.copy(SharedAssets.resolve("data/images/coco_000000039769.png"), images.resolve(name + ".png"));
        }
        Path out = dir.resolve("hostile");
        CliRun run = CliRun.of("explain", "--model", model.toString(), "--images", images.toString(), "--label",
                "clean-top1", "--methods", "saliency,attention,logit-lens", "--out", out.toString());
        assertEquals(0, run.exitCode(), run.toString());

        String dom = browse(out.resolve("report.html"), "#query=0", "--dump-dom").out();
        assertRendered(dom, 3 * 4);                             // the original and 3 figures an image
        assertTrue(dom.contains("&lt;!--&lt;script&gt;.png"), "the file name as text: " + dom.substring(0, 2000));
        assertTrue(dom.contains("'single' &amp;amp;.png"), "quotes and &amp; as text");
        assertEquals(3 * 16, sums(dom).size(), "every image's 4 × 4 attention grid");
    }

    @Test
    void aPageWhoseAttentionMapsAndPicturesPassItsCapsRendersAndSaysWhatIsLeftOutOrLinked() throws Exception {
        VitConfig config = ExplainReportTest.hostileConfig();
        long oneImage = (long) config.layers() * config.heads() * config.tokens() * config.patches();
        Path out = Files.createDirectories(dir.resolve("capped"));
        Path page = ExplainReportTest.report(out, config, 2, oneImage, 1).write(out, List.of("explain"));

        String dom = browse(page, "#query=0", "--dump-dom").out();
        assertRendered(dom, 2 * 2);                 // every picture linked but the one whose attention is shown
        assertEquals(16, sums(dom).size(), "the first image's grid");
        assertTrue(dom.contains("Attention maps left out"), "the second image says so");
        assertTrue(dom.contains("3 of the 4 pictures are read from the files beside this page"), "and the page");
    }

    @Test
    void theTopOfThePageShowsTheImageAndTheFigures() throws Exception {
        Path shot = dir.resolve("top.png");
        browse("#query=0", "--screenshot=" + shot);
        BufferedImage top = ImageIO.read(shot.toFile());
        // the row of figures starts under the title: the original (CIFAR-10 image 0, a cat) and the overlays
        BufferedImage row = top.getSubimage(0, 150, top.getWidth(), 250);
        assertTrue(colours(row) > 500, "the image and figures row is not blank: " + colours(row) + " colours");
    }

    /** The page's script ran to its end with no error, and every one of its {@code images} decoded. */
    private static void assertRendered(String dom, int images) {
        assertTrue(dom.contains("data-ready=\"true\""), "the script finished: " + body(dom));
        assertTrue(dom.contains("data-errors=\"0\""), body(dom));
        assertTrue(dom.contains("data-images=\"" + images + "/" + images + "\""), body(dom));
    }

    /** Distinct colours in an image: a blank region has one or two. */
    private static int colours(BufferedImage image) {
        Set<Integer> seen = new HashSet<>();
        for (int r = 0; r < image.getHeight(); r++) {
            for (int c = 0; c < image.getWidth(); c++) {
                seen.add(image.getRGB(c, r));
            }
        }
        return seen.size();
    }

    private static List<String> sums(String dom) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("<canvas width=\"\\d+\" height=\"\\d+\" data-layer=\"\\d+\" data-head=\"\\d+\" "
                + "data-sum=\"(\\d+)\"").matcher(dom);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static String body(String dom) {
        Matcher m = Pattern.compile("<body[^>]*>").matcher(dom);
        return m.find() ? m.group() : dom.substring(0, Math.min(300, dom.length()));
    }

    private record Browser(String out, String err) {
    }

    /** Runs headless chromium on the report with the URL fragment and one action flag. */
    private static Browser browse(String fragment, String action) throws Exception {
        return browse(dir.resolve("report.html"), fragment, action);
    }

    /** Runs headless chromium on {@code page} with the URL fragment and one action flag. */
    private static Browser browse(Path page, String fragment, String action) throws Exception {
        Path profile = Files.createTempDirectory(dir, "profile");
        List<String> command = List.of(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
                "--window-size=1200,900", "--hide-scrollbars", action,
                page.toUri() + fragment);
        Path out = dir.resolve("browser.out");
        Path err = dir.resolve("browser.err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 60 s: " + command);
        }
        return new Browser(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
