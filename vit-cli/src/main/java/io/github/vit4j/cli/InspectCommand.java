package io.github.vit4j.cli;

import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.format.Inspection;
import io.github.vit4j.format.TensorEntry;
import io.github.vit4j.format.VitFile;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.model.VitConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vit inspect FILE}: what a model file holds, and whether its checksums hold up. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Show a model's config, preprocessing and tensor table.",
            "For a .vit file: header, tensors with shapes, byte offsets and lengths, and every CRC-32C checksum "
                    + "verified (exit code 1 if any check fails). Other forms (Hugging Face / timm folder, "
                    + ".safetensors, .pt, .pth, .bin) are loaded as the other commands load them and shown without "
                    + "offsets."},
        footer = {"", "Example:", "  vit inspect cifar10.vit"})
final class InspectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "A .vit file (or a model folder / .safetensors / "
            + ".pt / .pth / .bin file, or hf:org/name[@revision] on the Hugging Face Hub).")
    String location;

    Path file;

    @Option(names = "--mapping", paramLabel = "FILE", description = "Mapping file, for weights saved under "
            + "other names.")
    Path mapping;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        file = ModelOption.resolve(location, mapping, spec);
        if (VitFile.looksLikeVitFile(file)) { // a damaged one too: inspect says what is wrong
            return inspectVit(out);
        }
        Pretrained model = ModelLoader.load(file, Optional.ofNullable(mapping));
        out.println(TerminalText.escape(file.toString())
                + " (not a .vit file: no offsets or checksums; `vit convert` makes one)");
        printConfig(out, model.config());
        out.println("preprocessing: " + ModelOption.describe(model.preprocessing()));
        Map<String, INDArray> tensors = model.weights().tensors();
        int width = tensors.keySet().stream().map(TerminalText::escape).mapToInt(String::length).max().orElse(4);
        out.printf(Locale.ROOT, "%-" + width + "s  %s%n", "tensor", "shape");
        long params = 0;
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            out.printf(Locale.ROOT, "%-" + width + "s  %s%n", TerminalText.escape(e.getKey()),
                    Arrays.toString(e.getValue().shape()));
            params += e.getValue().length();
        }
        out.printf(Locale.ROOT, "%s, %,d parameters%n", TerminalText.count(tensors.size(), "tensor"), params);
        return 0;
    }

    private int inspectVit(PrintWriter out) throws Exception {
        Inspection in = VitFile.inspect(file);
        out.printf(Locale.ROOT, "%s: .vit format version %d, %,d bytes, header %,d bytes%n",
                TerminalText.escape(in.file().toString()),
                in.formatVersion(), in.fileSize(), in.headerLength());
        printConfig(out, in.config());
        out.println("preprocessing: " + (in.preprocessing() == null ? "(unreadable)"
                : ModelOption.describe(in.preprocessing())));
        List<TensorEntry> tensors = in.tensors();
        int width = Math.max(6, tensors.stream().mapToInt(t -> TerminalText.escape(t.name()).length()).max()
                .orElse(6));
        int shapeWidth = Math.max(5, tensors.stream().mapToInt(t -> t.shapeText().length()).max().orElse(5));
        out.printf(Locale.ROOT, "%-" + width + "s  %-" + shapeWidth + "s  %12s  %12s  %-8s  %s%n", "tensor", "shape",
                "offset", "bytes", "crc32c", "check");
        for (TensorEntry t : tensors) {
            Boolean ok = in.checksumOk().get(t.name());
            out.printf(Locale.ROOT, "%-" + width + "s  %-" + shapeWidth + "s  %12d  %12d  %08x  %s%n",
                    TerminalText.escape(t.name()),
                    t.shapeText(), t.offset(), t.length(), t.crc32c(),
                    ok == null ? "-" : ok ? "ok" : "MISMATCH");
        }
        long verified = in.checksumOk().values().stream().filter(b -> b).count();
        out.printf(Locale.ROOT, "%s, %,d parameters; checksums: %d of %d verified%n",
                TerminalText.count(tensors.size(), "tensor"),
                in.parameterCount(), verified, tensors.size());
        for (String p : in.problems()) {
            out.println("problem: " + TerminalText.escape(p));
        }
        out.println(in.ok() ? "OK: the file loads" : "DAMAGED: the file would not load");
        return in.ok() ? 0 : 1;
    }

    private static void printConfig(PrintWriter out, VitConfig c) {
        if (c == null) {
            out.println("config: (unreadable)");
            return;
        }
        out.println("config: " + ModelOption.describe(c));
        out.println("architecture: " + ArchitectureText.describe(c));
        List<String> labels = c.labels().stream().map(TerminalText::listItem).toList();
        String shown = labels.size() <= 10 ? String.join(", ", labels)
                : String.join(", ", labels.subList(0, 5)) + ", … , " + labels.get(labels.size() - 1);
        out.println("labels: " + shown);
    }
}
