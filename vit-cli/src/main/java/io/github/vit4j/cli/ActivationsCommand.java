package io.github.vit4j.cli;

import io.github.vit4j.format.Npy;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code vit activations}: every site of the forward pass as one {@code .npy} file each. */
@Command(name = "activations", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write every intermediate of the forward pass on the first N images to DIR, one float32 .npy "
                + "per site.",
            "Files are named as TransformerLens names the sites, shapes batch first:",
            "  embed.npy [N, patches, D]; blocks.L.{resid_pre, ln1, attn_out, resid_mid, ln2, mlp_out, resid_post}.npy "
                    + "[N, T, D]; blocks.L.{q, k, v, z}.npy [N, H, T, D/H]; blocks.L.pattern.npy [N, H, T, T]; "
                    + "blocks.L.{mlp_pre, mlp_post}.npy [N, T, MLP]; ln_final.npy [N, T, D]; logits.npy [N, classes];",
            "  plus images.txt: one line per row, tab-separated: index, image name, and label number and name when known.",
            "Sizes grow with N (about 2.3 MB per image for the CIFAR-10 model, 40 MB for DeiT-tiny); all sites are "
                    + "held in memory until written."},
        footer = {"", "Example:", "  vit activations --limit 8 --out acts/",
            "  python -c \"import numpy as np; print(np.load('acts/blocks.3.attn_out.npy').shape)\""})
final class ActivationsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOption model;

    @Mixin
    ImagesOption images;

    @Mixin
    DumpOptions dump;

    @Override
    public Integer call() throws Exception {
        PrintWriter text = spec.commandLine().getOut();
        ImagesOption.positive("--batch", dump.batch);
        ImageSource source = images.open();                        // before the (slow) model: fail fast on a typo
        int n = ImagesOption.count(source, dump.limit);
        Pretrained pretrained = model.load();
        Vit vit = new Vit(pretrained.weights());
        Map<Site, List<INDArray>> parts = new LinkedHashMap<>();
        List<String> rows = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int first = 0; first < n; first += dump.batch) {
            int count = Math.min(dump.batch, n - first);
            ImageSource.Batch b = source.read(first, count, pretrained.preprocessing());
            Activations a = vit.run(Input.pixels(b.pixels()), Keep.all());
            for (Map.Entry<Site, INDArray> e : a.arrays().entrySet()) {
                parts.computeIfAbsent(e.getKey(), s -> new ArrayList<>()).add(e.getValue());
            }
            for (int i = 0; i < count; i++) {
                int label = b.label(i).orElse(-1);
                String name = label >= 0 && label < vit.config().classes()
                        ? TerminalText.escape(vit.config().labels().get(label)) // a tab or newline would break a row
                        : "";
                rows.add(b.index(i) + "\t" + b.names().get(i) + "\t" + (label >= 0 ? label + "\t" + name : ""));
            }
        }
        Files.createDirectories(dump.out);
        long bytes = 0;
        for (Map.Entry<Site, List<INDArray>> e : parts.entrySet()) {
            List<INDArray> list = e.getValue();
            INDArray whole = list.size() == 1 ? list.get(0) : Nd4j.concat(0, list.toArray(INDArray[]::new));
            Path file = dump.out.resolve(e.getKey() + ".npy");
            Npy.write(file, whole);
            bytes += Files.size(file);
        }
        Files.write(dump.out.resolve("images.txt"), rows, StandardCharsets.UTF_8);
        text.printf(Locale.ROOT, "wrote %d sites of %d images to %s (%.1f MB) in %.1f s%n", parts.size(), n, dump.out,
                bytes / 1e6, (System.nanoTime() - t0) / 1e9);
        Site example = Site.attnOut(0);
        if (parts.containsKey(example)) {
            text.println("e.g. " + example + ".npy " + Arrays.toString(example.shape(vit.config(), n)));
        }
        return 0;
    }
}
