package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SharedAssets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code hf:org/name[@revision]} wherever a command takes a model, here resolved offline from a Hugging Face cache
 * laid out as Python's huggingface_hub leaves it (the download itself is weights-converter's {@code HubDownloadTest}).
 * The Hub settings come from an environment the test states, never the real one.
 */
class HubModelCliTest {

    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path cache;

    /** The vit command line with an offline Hub whose cache is {@link #cache}. */
    private CommandLine offline() {
        return Vit4jCli.commandLine(Map.of("HF_HUB_CACHE", cache.toString(), "HF_HUB_OFFLINE", "1"));
    }

    /** The CIFAR-10 model in {@code cache} as huggingface_hub stores it: blobs, snapshot symlinks, refs/main. */
    private void cacheTheCifarModel() throws IOException {
        cacheTheCifarModel(cache);
    }

    /** The CIFAR-10 model as {@code someone/cifar10} at {@link #COMMIT} (refs/main) in the Hub cache {@code cache}. */
    static void cacheTheCifarModel(Path cache) throws IOException {
        Path repo = cache.resolve("models--someone--cifar10");
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(COMMIT));
        Files.createDirectories(repo.resolve("blobs"));
        int i = 0;
        for (String name : new String[] {"config.json", "preprocessor_config.json", "model.safetensors"}) {
            Path blob = repo.resolve("blobs").resolve("blob" + i++);
            Files.copy(SharedAssets.resolve("models/simplevit-cifar10/hf/" + name), blob);
            Files.createSymbolicLink(snapshot.resolve(name), Path.of("../../blobs").resolve(blob.getFileName()));
        }
        Files.writeString(Files.createDirectories(repo.resolve("refs")).resolve("main"), COMMIT);
    }

    @Test
    void classifyAndConvertTakeAHubModelFromTheCache(@TempDir Path out) throws IOException {
        cacheTheCifarModel();
        CliRun classify = CliRun.of(offline(), "classify", "--model", "hf:someone/cifar10", "--limit", "2");
        assertEquals(0, classify.exitCode(), classify.toString());
        assertEquals(classify.out(), CliRun.of("classify", "--limit", "2").out(), "the same model as ../shared's");

        Path vit = out.resolve("cifar.vit");
        CliRun convert = CliRun.of(offline(), "convert", "hf:someone/cifar10@" + COMMIT, vit.toString());
        assertEquals(0, convert.exitCode(), convert.toString());
        assertTrue(Files.size(vit) > 2_000_000, convert.toString());
    }

    @Test
    void offlineWithNothingCachedSaysSoAndAMalformedSpecIsNamed() {
        CliRun run = CliRun.of(offline(), "inspect", "hf:someone/cifar10");
        assertEquals(Vit4jCli.USAGE, run.exitCode(), run.toString());
        assertTrue(run.err().contains("hf:someone/cifar10@main is not in the Hub cache " + cache)
                && run.err().contains("HF_HUB_OFFLINE"), run.toString());

        CliRun bad = CliRun.of(offline(), "classify", "--model", "hf:no-slash", "--limit", "1");
        assertEquals(Vit4jCli.USAGE, bad.exitCode(), bad.toString());
        assertTrue(bad.err().contains("\"no-slash\" is not a Hub repository id: expected org/name"), bad.toString());
    }
}
