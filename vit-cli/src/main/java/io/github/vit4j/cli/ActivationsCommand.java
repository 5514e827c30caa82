package io.github.vit4j.cli;

import io.github.vit4j.format.AtomicFile;
import io.github.vit4j.format.Npy;
import io.github.vit4j.image.ImageSource;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.bytedeco.javacpp.Pointer;
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
            "  plus images.txt: one line per row, tab-separated: index, image name, and label number and name when "
                    + "known; names escaped (\\t, \\n, \\r, \\\\, \\e, \\xNN for other controls, \\uNNNN for line "
                    + "separators, bidirectional controls and half surrogate pairs), so that a line is an image and a "
                    + "tab a column.",
            "Sizes grow with N (about 2.3 MB per image for the CIFAR-10 model, 40 MB for DeiT-tiny); all sites are "
                    + "held in memory until written, so a run that would not fit is refused before it starts."},
        footer = {"", "Example:", "  vit activations --limit 8 --out acts",
            "  python -c \"import numpy as np; print(np.load('acts/blocks.3.z.npy').shape)\""})
final class ActivationsCommand implements Callable<Integer> {

    /** A system property that sets the memory limit in bytes, overriding the one the JVM's memory gives. */
    static final String MEMORY_LIMIT_PROPERTY = "vit4j.activations.memoryLimit";

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
        text.println(checkMemory(vit.config(), Keep.all(), n));
        Map<Site, List<INDArray>> parts = new LinkedHashMap<>();
        List<String> rows = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int first = 0; first < n; first += dump.batch) {
            int count = Math.min(dump.batch, n - first);
            ImageSource.Batch b = source.read(first, count, pretrained.preprocessing());
            Activations a = vit.run(b.input(), Keep.all());
            for (Map.Entry<Site, INDArray> e : a.arrays().entrySet()) {
                parts.computeIfAbsent(e.getKey(), s -> new ArrayList<>()).add(e.getValue());
            }
            for (int i = 0; i < count; i++) {
                int label = b.label(i).orElse(-1);
                String name = label >= 0 && label < vit.config().classes()
                        ? TerminalText.escape(vit.config().labels().get(label)) // a tab or newline would break a row
                        : "";
                rows.add(b.index(i) + "\t" + TerminalText.escape(b.names().get(i)) + "\t"
                        + (label >= 0 ? label + "\t" + name : ""));
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
        AtomicFile.writeString(dump.out.resolve("images.txt"), rows.stream().map(r -> r + "\n")
                .collect(Collectors.joining()));
        text.printf(Locale.ROOT, "wrote %s of %s to %s (%.1f MB) in %.1f s%n",
                TerminalText.count(parts.size(), "site"), TerminalText.count(n, "image"), dump.out,
                bytes / 1e6, (System.nanoTime() - t0) / 1e9);
        Site example = Site.attnOut(0);
        if (parts.containsKey(example)) {
            text.println("e.g. " + example + ".npy " + Arrays.toString(example.shape(vit.config(), n)));
        }
        return 0;
    }

    /**
     * What the run will hold, {@code n} × the float32 bytes of the kept sites of one image, in one line; refuses
     * when that exceeds the {@link #memoryLimit}, before anything runs.
     */
    static String checkMemory(VitConfig config, Keep keep, int n) {
        long perImage = 0;
        for (Site site : config.sites()) {   // those a run of this model produces
            if (keep.keeps(site)) {
                perImage += Float.BYTES * Arrays.stream(site.shape(config, 1)).reduce(1, Math::multiplyExact);
            }
        }
        long total = Math.multiplyExact(perImage, n);
        String estimate = String.format(Locale.ROOT, "%s × %s = %s", TerminalText.count(n, "image"),
                size(perImage), size(total));
        long limit = memoryLimit();
        if (total > limit) {
            long fits = limit / perImage;
            throw new IllegalArgumentException(String.format(Locale.ROOT, "the sites of %s would be held in memory "
                    + "until written, more than the %s this JVM can give them (%s); run fewer images (%s) or give "
                    + "the JVM more memory, e.g. VIT4J_JAVA_OPTS='-Dorg.bytedeco.javacpp.maxbytes=%dg "
                    + "-Dorg.bytedeco.javacpp.maxphysicalbytes=%dg'", estimate, size(limit), limitSource(),
                    fits > 0 ? "--limit " + fits : "this model's sites of one image do not fit", gigabytesFor(total),
                    gigabytesFor(total)));
        }
        return String.format(Locale.ROOT, "%s held in memory until written (limit %s)", estimate, size(limit));
    }

    /** Where the {@link #memoryLimit} comes from, for the message. */
    private static String limitSource() {
        return System.getProperty(MEMORY_LIMIT_PROPERTY) != null ? "-D" + MEMORY_LIMIT_PROPERTY
                : "3/4 of JavaCPP's off-heap limit, where ND4J keeps its arrays; the rest is for the model and the "
                        + "batch in flight";
    }

    /**
     * The bytes of activations this JVM can hold: the {@value #MEMORY_LIMIT_PROPERTY} system property when set,
     * else 3/4 of JavaCPP's off-heap limit ({@code -Dorg.bytedeco.javacpp.maxbytes}; the heap size when unset).
     */
    static long memoryLimit() {
        String set = System.getProperty(MEMORY_LIMIT_PROPERTY);
        if (set != null) {
            return Long.parseLong(set.trim());
        }
        long offHeap = Pointer.maxBytes() > 0 ? Pointer.maxBytes() : Runtime.getRuntime().maxMemory();
        return offHeap / 4 * 3;
    }

    private static String size(long bytes) {
        return bytes >= 1e9 ? String.format(Locale.ROOT, "%.1f GB", bytes / 1e9)
                : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    /** Whole gigabytes of off-heap limit that hold {@code bytes} as {@link #memoryLimit} counts: 4/3 of it. */
    private static long gigabytesFor(long bytes) {
        return (long) Math.ceil(bytes * 4 / 3.0 / (1L << 30));
    }
}
