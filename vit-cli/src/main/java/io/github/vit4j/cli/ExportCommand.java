package io.github.vit4j.cli;

import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.model.Pretrained;
import io.github.vit4j.onnx.OnnxExport;
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

/** {@code vit export --onnx MODEL OUT.onnx}: any model vit4j loads, as an ONNX graph. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a model as an ONNX graph (opset " + OnnxExport.OPSET + ") for ONNX Runtime, TensorRT "
                + "or any ONNX consumer: input '" + OnnxExport.INPUT + "' [batch, C, H, W] normalised as the model's "
                + "preprocessing says, output '" + OnnxExport.OUTPUT + "' [batch, classes]; class names and "
                + "preprocessing in the model's metadata."},
        footer = {"", "Example:", "  vit export --onnx ../shared/models/deit-tiny-imagenet/hf deit-tiny.onnx"})
final class ExportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--onnx", required = true, description = "Write ONNX (the one export format).")
    boolean onnx;

    @Parameters(index = "0", paramLabel = "MODEL", description = "A .vit file, a Hugging Face or timm model folder, "
            + "a .safetensors, .pt, .pth or .bin file, or hf:org/name[@revision] (a model on the Hugging Face Hub).")
    String model;

    @Parameters(index = "1", paramLabel = "OUT.onnx", description = "The file to write (replaced if it exists).")
    Path out;

    @Option(names = "--mapping", paramLabel = "FILE", description = "Mapping file for weights saved under "
            + "their trainer's own names (see weights-converter).")
    Path mapping;

    @Override
    public Integer call() throws Exception {
        Path source = ModelOption.resolve(model, mapping, spec);
        Pretrained loaded = ModelLoader.load(source, Optional.ofNullable(mapping));
        long t0 = System.nanoTime();
        OnnxExport.write(loaded, out);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%d bytes, ONNX opset %d) in %.1f s: %s%n", out,
                Files.size(out), OnnxExport.OPSET, (System.nanoTime() - t0) / 1e9,
                ModelOption.describe(loaded.config()));
        return 0;
    }
}
