package io.github.vit4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.vit4j.model.VitConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummaryJsonTest {

    @TempDir
    Path dir;

    private JsonNode written() throws Exception {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("window", 3);
        args.put("corruption", "grayscale");
        Path file = dir.resolve("summary.json");
        SummaryJson.write(file, args, VitConfig.cifar10(), "grayscale", ReportFixtures.summary());
        return new ObjectMapper().readTree(file.toFile());
    }

    @Test
    void summaryJsonHasMeanAndCiPerKind() throws Exception {
        JsonNode root = written();
        for (String kind : new String[] {"resid", "attn", "mlp"}) {
            JsonNode k = root.get("kinds").get(kind);
            assertEquals(4, k.get("mean").size(), kind + " mean has one value per layer");
            assertEquals(4, k.get("ci95").size(), kind + " ci95 has one value per layer");
            assertEquals(4, k.get("count").size(), kind + " count has one value per layer");
        }
        assertEquals(0.40, root.get("kinds").get("resid").get("mean").get(0).asDouble(), 0);
        assertEquals(0.041, root.get("kinds").get("resid").get("ci95").get(0).asDouble(), 0);
        assertEquals(10, root.get("n").asInt());
        assertEquals(0.75, root.get("p_clean").asDouble(), 0);
        assertEquals(0.25, root.get("p_corrupt").asDouble(), 0);
        assertEquals("grayscale", root.get("corruption").asText());
    }

    @Test
    void summaryJsonRecordsArgumentsAndModelConfigWithNumberOfClasses() throws Exception {
        JsonNode root = written();
        assertEquals(3, root.get("arguments").get("window").asInt());
        JsonNode model = root.get("model");
        assertEquals(32, model.get("imageSize").asInt());
        assertEquals(4, model.get("patchSize").asInt());
        assertEquals(128, model.get("hiddenSize").asInt());
        assertEquals(4, model.get("layers").asInt());
        assertEquals(1e-5, model.get("layerNormEps").asDouble(), 0);
        assertEquals(10, model.get("classes").asInt());
        assertTrue(model.get("labels") == null, "the label list is left out, only the number of classes is kept");
    }

    @Test
    void undefinedMeansAreWrittenAsNullNotNaN() throws Exception {
        JsonNode mlp = written().get("kinds").get("mlp");
        assertTrue(mlp.get("mean").get(3).isNull());
        assertTrue(mlp.get("ci95").get(3).isNull());
        assertEquals(0, mlp.get("count").get(3).asInt());
    }
}
