package io.github.vit4j.cli;

import io.github.vit4j.explain.KMeans;
import io.github.vit4j.explain.PatchFilters;
import io.github.vit4j.explain.Pictures;
import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.model.Pretrained;
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

/** {@code vit filters}: the patch-embedding filters as a grid of RGB tiles and grouped by k-means. */
@Command(name = "filters", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draw the patch-embedding filters: each a p×p RGB tile scaled to [0, 1] on its own, in a grid "
                + "(filters.png), and grouped by k-means (k-means++, seeded) on the raw weights, groups side by side, "
                + "largest first (filter-clusters.png; filter-clusters.csv: filter, cluster)."},
        footer = {"", "Examples:", "  vit filters --out filters",
            "  vit filters --model deit-tiny.vit --clusters 6 --zoom 4 --out deit"})
final class FiltersCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Option(names = "--clusters", paramLabel = "K", defaultValue = "4",
            description = "How many k-means groups (default: ${DEFAULT-VALUE}).")
    int clusters;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "The k-means++ start's seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--columns", paramLabel = "N",
            description = "Tiles per row of the grid (default: √D rounded up).")
    Integer columns;


    @Mixin
    PictureOutput output;

    @Override
    public Integer call() throws Exception {
        PrintWriter text = spec.commandLine().getOut();
        ImagesOption.positive("--clusters", clusters);
        int zoom = output.zoom(8);
        Path out = output.out;
        Pretrained pretrained = model.load();
        PatchFilters filters = PatchFilters.of(pretrained.weights());
        int d = filters.count();
        int perRow = columns != null ? columns : (int) Math.ceil(Math.sqrt(d));
        ImagesOption.positive("--columns", perRow);
        if (clusters > d) {
            throw new IllegalArgumentException("--clusters " + clusters + " is more than the model's " + d
                    + " filters");
        }
        Files.createDirectories(out);
        Pictures.writePng(filters.grid(perRow), out.resolve("filters.png"), zoom);
        KMeans.Result groups = filters.clusters(new KMeans(clusters, 100, seed));
        Pictures.writePng(filters.clusterImage(groups), out.resolve("filter-clusters.png"), zoom);
        StringBuilder csv = new StringBuilder("filter,cluster\n");
        for (int f = 0; f < d; f++) {
            csv.append(f).append(',').append(groups.cluster()[f]).append('\n');
        }
        AtomicFile.writeString(out.resolve("filter-clusters.csv"), csv.toString());
        int p = pretrained.config().patchSize();
        text.printf(Locale.ROOT, "%s: %d filters of %d×%d×%d; k-means groups (largest first): %s%n", model.shortName(),
                d, pretrained.config().channels(), p, p, java.util.Arrays.toString(groups.sizes()));
        text.printf(Locale.ROOT, "wrote filters.png, filter-clusters.png and filter-clusters.csv to %s%n", out);
        return 0;
    }
}
