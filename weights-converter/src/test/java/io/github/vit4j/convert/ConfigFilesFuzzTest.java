package io.github.vit4j.convert;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.vit4j.fuzz.FuzzedFiles;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the config readers: the same bytes as a {@code config.json} ({@link ConfigFiles#read},
 * Hugging Face's families or timm), as a {@code preprocessor_config.json} ({@link ConfigFiles#huggingFacePreprocessor})
 * and as an {@code open_clip_config.json} ({@link OpenClipConfig#read}).
 * Any file gives what it states or a {@link io.github.vit4j.format.ModelFormatException} naming the file. Seeds in
 * {@code ConfigFilesFuzzTestInputs/}: small Hugging Face (ViT, CLIP, DINOv2, SigLIP), timm, OpenCLIP and preprocessor configs and refused variants.
 */
class ConfigFilesFuzzTest {

    private static final Path DIR = FuzzedFiles.folder("config-fuzz");

    @FuzzTest
    void anyJsonIsAConfigOrANamedRefusal(byte[] bytes) {
        Path file = FuzzedFiles.write(DIR, "config.json", bytes);
        FuzzedFiles.readOrRefuseClearly(file, ConfigFiles::read);
        FuzzedFiles.readOrRefuseClearly(file, ConfigFiles::huggingFacePreprocessor);
        FuzzedFiles.readOrRefuseClearly(file, OpenClipConfig::read);
    }
}
