package io.github.vit4j.cli;

import io.github.vit4j.explain.FeatureVisualization;
import io.github.vit4j.explain.Pictures;
import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.format.Npy;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.patching.Tokens;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vit visualize}: feature visualisation, an image optimised to maximise one unit of the model. */
@Command(name = "visualize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Optimise images to maximise one unit of the model (feature visualisation, as lucid/lucent "
                + "do it): a Fourier-basis image with decorrelated colour, randomly jittered, scaled and rotated at "
                + "each step, climbed with Adam; seeded, so a run repeats bit for bit.",
            "Writes visualization-<i>.png (each image, zoomed), pixels.npy (float32 [B, C, H, W] in [0, 1]) and "
                    + "trace.csv (step, mean target value)."},
        footer = {"", "Examples:", "  vit visualize --site blocks.3.mlp_post --neuron 17 --steps 512 --out vis",
            "  vit visualize --site blocks.2.mlp_post --neuron 5 --token all --images 4 \\",
            "      --diversity 10 --out vis-diverse",
            "  vit visualize --site logits --neuron 3 --out cat",
            "  vit visualize --site blocks.1.pattern --head 2 --neuron 28 --out head"})
final class VisualizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = "--site", paramLabel = "SITE", defaultValue = "blocks.3.mlp_post",
            description = "blocks.L.<kind> for a per-block site with one vector per token (mlp_post, mlp_pre, "
                    + "resid_post, attn_out, …), blocks.L.pattern (with --head), or logits "
                    + "(default: ${DEFAULT-VALUE}).")
    String site;

    @Option(names = "--neuron", paramLabel = "N", required = true,
            description = "The coordinate of the site to maximise (for logits: the class).")
    int neuron;

    @Option(names = "--token", paramLabel = "T", defaultValue = "0",
            description = "The token, in the model's layout (vit inspect shows it: 0 = CLS where there is one, "
                    + "then a distillation token or registers, then patch (r, c) at P + r·g + c, P the tokens before "
                    + "the patches: 1 + r·g + c for ViT), or all for the sum over tokens (default: ${DEFAULT-VALUE}).")
    String token;

    @Option(names = "--head", paramLabel = "H",
            description = "For --site blocks.L.pattern: the head whose attention score to maximise; --token is then "
                    + "the query token and --neuron the key token.")
    Integer head;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "512",
            description = "Adam steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--images", paramLabel = "B", defaultValue = "1",
            description = "Images optimised together (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--diversity", paramLabel = "W", defaultValue = "0",
            description = "Weight of the diversity term across the images (default: ${DEFAULT-VALUE}).")
    double diversity;

    @Option(names = "--lr", paramLabel = "R", defaultValue = "0.05",
            description = "Adam's learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "The seed of the start and of the random transforms (default: ${DEFAULT-VALUE}).")
    long seed;


    @Mixin
    PictureOutput output;

    @Override
    public Integer call() throws Exception {
        PrintWriter text = spec.commandLine().getOut();
        ImagesOption.positive("--steps", steps);
        ImagesOption.positive("--images", images);
        Pretrained pretrained = model.load();
        Vit vit = new Vit(pretrained.weights());
        FeatureVisualization.Target target = target(vit.config());
        FeatureVisualization options = new FeatureVisualization(steps, learningRate, images, 0.04, 0.1, 10,
                diversity, seed);
        long t0 = System.nanoTime();
        FeatureVisualization.Result result;
        try (Progress progress = Progress.start("visualize (steps)", steps, spec.commandLine().getErr())) {
            result = options.of(vit, pretrained.preprocessing(), target, progress::update);
        }
        int z = output.zoom(Math.max(1, 256 / vit.config().imageSize()));
        Path out = output.out;
        Files.createDirectories(out);
        for (int i = 0; i < images; i++) {
            Pictures.writePng(Pictures.hwc(result.pixels(), i), out.resolve("visualization-" + i + ".png"), z);
        }
        Npy.write(out.resolve("pixels.npy"), result.pixels());
        StringBuilder csv = new StringBuilder("step,value\n");
        for (int s = 0; s < steps; s++) {
            csv.append(s + 1).append(',').append(String.format(Locale.ROOT, "%.6g", result.trace()[s])).append('\n');
        }
        AtomicFile.writeString(out.resolve("trace.csv"), csv.toString());
        text.printf(Locale.ROOT, "%s of %s after %d steps: %s%n", target.name(), model.shortName(), steps,
                values(result.values()));
        text.printf(Locale.ROOT, "wrote %s, pixels.npy and trace.csv to %s in %.1f s%n",
                TerminalText.count(images, "picture"), out, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** The target named by --site, --neuron and --token. */
    FeatureVisualization.Target target(VitConfig c) {
        Site s = parseSite(site, c);
        if (s.kind() == Site.Kind.LOGITS) {
            return FeatureVisualization.Target.logit(c, neuron);
        }
        if (s.kind() == Site.Kind.PATTERN || head != null) {
            if (s.kind() != Site.Kind.PATTERN || head == null || token.trim().equalsIgnoreCase("all")) {
                throw new IllegalArgumentException("--head goes with --site blocks.L.pattern, a query --token (a "
                        + "number) and a key token as --neuron; got --site " + site + ", --head " + head + ", --token "
                        + token);
            }
            return FeatureVisualization.Target.attention(c, s.layer(), head, tokenNumber(c), neuron);
        }
        if (token.trim().equalsIgnoreCase("all")) {
            return FeatureVisualization.Target.unit(c, s, neuron, FeatureVisualization.Target.ALL_TOKENS);
        }
        return FeatureVisualization.Target.unit(c, s, neuron, tokenNumber(c));
    }

    private int tokenNumber(VitConfig c) {
        int t;
        try {
            t = Integer.parseInt(token.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--token '" + token + "' is neither a token number (" + Tokens.layout(c)
                    + ") nor all");
        }
        if (t < 0 || t >= c.tokens()) {
            throw new IllegalArgumentException("--token " + t + " is outside the model's " + c.tokens() + " tokens ("
                    + Tokens.layout(c) + ")");
        }
        return t;
    }

    /** {@code blocks.L.<kind>} or {@code logits}, as vit activations names the sites. */
    static Site parseSite(String name, VitConfig c) {
        String n = name.trim();
        if (n.equals("logits")) {
            return Site.logits();
        }
        String[] parts = n.split("\\.");
        if (parts.length == 3 && parts[0].equals("blocks")) {
            for (Site.Kind kind : Site.Kind.values()) {
                if (kind.perBlock() && kind.lensName().equals(parts[2])) {
                    try {
                        int layer = Integer.parseInt(parts[1]);
                        if (layer >= 0 && layer < c.layers()) {
                            return Site.of(layer, kind);
                        }
                    } catch (NumberFormatException e) {
                        break;
                    }
                    throw new IllegalArgumentException("--site " + name + ": layer " + parts[1] + " is outside the "
                            + "model's " + c.layers() + " blocks (0.." + (c.layers() - 1) + ")");
                }
            }
        }
        throw new IllegalArgumentException("unknown --site '" + name + "'; expected blocks.L.<kind> (e.g. "
                + "blocks.3.mlp_post) or logits");
    }

    private static String values(double[] v) {
        StringBuilder s = new StringBuilder();
        for (double x : v) {
            s.append(s.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4g", x));
        }
        return s.toString();
    }
}
