package io.github.vit4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.convert.TorchCheckpoints;
import io.github.vit4j.hub.HubTestServer;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The study's own model in one command, against a loopback Hub: a repository shaped like
 * {@code aaraki/vit-base-patch16-224-in21k-finetuned-cifar10} (a ViT-B/16 config with CIFAR-10's 10 labels, its
 * preprocessor config — mean = std = 0.5, resize to 224 —, a {@code pytorch_model.bin} in Hugging Face names and a
 * {@code training_args.bin} that must never be opened, no safetensors), with seeded random weights in place of the
 * trained ones (no network here).
 */
class StudyModelTest {

    static final String REPO = "aaraki/vit-base-patch16-224-in21k-finetuned-cifar10";
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path dir;

    @Test
    void vitTraceOnTheStudysHubModelDownloadsItsPyTorchWeightsAndTracesCifar10ImagesResizedTo224() throws Exception {
        try (HubTestServer hub = new HubTestServer(REPO).commit(COMMIT, studyRepo(dir), "main")) {
            Path cache = dir.resolve("hf-cache");
            Map<String, String> environment = Map.of("HF_ENDPOINT", hub.endpoint().toString(),
                    "HF_HUB_CACHE", cache.toString());
            Path out = dir.resolve("study");
            CliRun run = CliRun.of(Vit4jCli.commandLine(environment), "trace", "--model", "hf:" + REPO, "--limit",
                    "2", "--out", out.toString());
            assertEquals(0, run.exitCode(), run.toString());

            assertTrue(run.out().contains("2 images traced"), run.out());
            List<String> rows = Files.readAllLines(out.resolve("trace.csv"));
            assertEquals(1 + 2 * 3 * 12, rows.size(), "2 images × 3 kinds × 12 layers of ViT-B/16");
            assertTrue(Files.isSymbolicLink(cache.resolve("models--aaraki--vit-base-patch16-224-in21k-finetuned-cifar10"
                    + "/snapshots/" + COMMIT + "/pytorch_model.bin")), "huggingface_hub's cache layout");
            assertTrue(hub.requests().stream().noneMatch(r -> r.path().contains("training_args.bin")),
                    "training_args.bin is never requested");
            assertTrue(Files.readString(out.resolve("summary.json")).contains(REPO), "the summary names the model");
        }
    }

    /** The repository's files: configs as the real one has them, seeded random ViT-B/16 weights. */
    static Map<String, byte[]> studyRepo(Path dir) throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        List<String> labels = VitConfig.CIFAR10_LABELS;
        StringBuilder id2label = new StringBuilder();
        StringBuilder label2id = new StringBuilder();
        for (int i = 0; i < labels.size(); i++) {
            id2label.append(i == 0 ? "" : ", ").append('"').append(i).append("\": \"").append(labels.get(i)).append('"');
            label2id.append(i == 0 ? "" : ", ").append('"').append(labels.get(i)).append("\": ").append(i);
        }
        files.put("config.json", ("{\"_name_or_path\": \"google/vit-base-patch16-224-in21k\", "
                + "\"architectures\": [\"ViTForImageClassification\"], \"attention_probs_dropout_prob\": 0.0, "
                + "\"hidden_act\": \"gelu\", \"hidden_dropout_prob\": 0.0, \"hidden_size\": 768, "
                + "\"id2label\": {" + id2label + "}, \"image_size\": 224, \"initializer_range\": 0.02, "
                + "\"intermediate_size\": 3072, \"label2id\": {" + label2id + "}, \"layer_norm_eps\": 1e-12, "
                + "\"model_type\": \"vit\", \"num_attention_heads\": 12, \"num_channels\": 3, "
                + "\"num_hidden_layers\": 12, \"patch_size\": 16, \"problem_type\": \"single_label_classification\", "
                + "\"qkv_bias\": true, \"torch_dtype\": \"float32\", \"transformers_version\": \"4.21.1\"}")
                .getBytes(StandardCharsets.UTF_8));
        files.put("preprocessor_config.json", ("{\"do_normalize\": true, \"do_resize\": true, "
                + "\"feature_extractor_type\": \"ViTFeatureExtractor\", \"image_mean\": [0.5, 0.5, 0.5], "
                + "\"image_std\": [0.5, 0.5, 0.5], \"resample\": 2, \"size\": 224}").getBytes(StandardCharsets.UTF_8));
        Path bin = dir.resolve("pytorch_model.bin");
        TorchCheckpoints.write(bin, TorchCheckpoints.huggingFaceStateDict(VitWeights.random(new VitConfig(224, 16, 3, 768, 12, 12, 3072, 1e-12, labels), 1)));
        files.put("pytorch_model.bin", Files.readAllBytes(bin));
        files.put("training_args.bin", "not a pickle anyone should open".getBytes(StandardCharsets.UTF_8));
        files.put("README.md", "# vit-base-patch16-224-in21k-finetuned-cifar10\n".getBytes(StandardCharsets.UTF_8));
        return files;
    }
}
