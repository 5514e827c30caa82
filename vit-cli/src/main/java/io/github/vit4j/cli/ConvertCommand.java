package io.github.vit4j.cli;

import io.github.vit4j.convert.Converter;
import io.github.vit4j.model.Pretrained;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vit convert SRC OUT.vit}: weights in any supported form to the native {@code .vit} file. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a Hugging Face or timm model folder, a .safetensors file or a PyTorch checkpoint "
                + "(.pt, .pth, .bin; "
                + "read without running any code) to a native .vit file "
                + "(config, preprocessing and float32 weights in one memory-mappable file with checksums).",
            "Prints every decision taken on the way (layout detected, config values inferred, defaults used)."},
        footer = {"", "Example:", "  vit convert ../shared/models/simplevit-cifar10/hf cifar10.vit",
            "  vit convert hf:google/vit-base-patch16-224 vit-b16.vit",
            "  vit convert ../shared/models/tinyvit-cifar10-custom-names/vit_model.pth \\",
            "      tiny.vit --mapping map.properties"})
final class ConvertCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SRC", description = "A model folder (config.json + model.safetensors or "
            + "pytorch_model.bin), a .safetensors, .pt, .pth or .bin file, a .vit file, or hf:org/name[@revision] (a "
            + "model on the Hugging Face Hub).")
    String sourceLocation;

    @Parameters(index = "1", paramLabel = "OUT.vit", description = "The .vit file to write (replaced if it exists).")
    Path out;

    @Option(names = "--mapping", paramLabel = "FILE", description = "Mapping file for weights saved under their "
            + "trainer's own names (tensor names, and config.* / preprocessing.* values the files do not state).")
    Path mapping;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter outText = spec.commandLine().getOut();
        Path source = ModelOption.resolve(sourceLocation, mapping, spec);
        long t0 = System.nanoTime();
        Pretrained model = Converter.convert(source, out, Optional.ofNullable(mapping), note -> {
            err.println("  " + TerminalText.escape(note)); // notes quote the files' names and values
            err.flush();
        });
        outText.printf(Locale.ROOT, "wrote %s (%d bytes) in %.1f s: %s%n", out, Files.size(out),
                (System.nanoTime() - t0) / 1e9, ModelOption.describe(model.config()));
        outText.println("preprocessing: " + ModelOption.describe(model.preprocessing()));
        return 0;
    }
}
