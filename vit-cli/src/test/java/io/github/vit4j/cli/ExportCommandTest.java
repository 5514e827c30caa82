package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import io.github.vit4j.convert.ModelLoader;
import io.github.vit4j.onnx.OnnxExport;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vit export --onnx}: the library's export of the model the command loads (OnnxExportTest runs it). */
class ExportCommandTest {

    @TempDir
    Path dir;

    @Test
    void exportWritesTheLibrarysOnnxBytesForTheModelGiven() throws Exception {
        Path model = SharedAssets.resolve("models/simplevit-cifar10/hf");
        Path out = dir.resolve("cifar.onnx");
        CliRun run = CliRun.of("export", "--onnx", model.toString(), out.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("ONNX opset 17"), run.toString());
        assertArrayEquals(OnnxExport.toBytes(ModelLoader.load(model)), Files.readAllBytes(out));
    }

    @Test
    void exportWithoutAFormatSaysWhichOneToName() {
        CliRun run = CliRun.of("export", SharedAssets.resolve("models/simplevit-cifar10/hf").toString(),
                dir.resolve("x.onnx").toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("--onnx"), run.toString());
    }
}
