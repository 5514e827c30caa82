package io.github.vit4j.bench.peers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.vit4j.bench.BenchModels;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The race is fair: the peers compute the same ViT-B/16 logits as vit4j on the benchmark's inputs (PyTorch within
 * 1e-3, ONNX Runtime within 1e-4).
 */
class PeerLogitsTest {

    @Test
    void peerLogitsEqualVit4jLogitsOnTheBenchmarkModel() {
        VitWeights w = BenchModels.weights("vitB16");
        VitConfig c = w.config();
        int batch = 2;
        INDArray ours = new Vit(w).logits(Input.normalized(BenchModels.pixels(c, batch, 1)));
        try (DjlVit peer = new DjlVit(w); NDManager m = peer.newManager()) {
            NDArray px = m.create(BenchModels.pixelValues(c, batch, 1),
                    new Shape(batch, c.channels(), c.imageSize(), c.imageSize()));
            float[] theirs = peer.logits(px).toFloatArray();
            float[] mine = ours.dup('c').data().asFloat();
            double max = 0;
            double scale = 0;
            for (int i = 0; i < mine.length; i++) {
                max = Math.max(max, Math.abs(mine[i] - theirs[i]));
                scale = Math.max(scale, Math.abs(mine[i]));
            }
            assertTrue(max <= 1e-3, "peer and vit4j logits differ by " + max + " (logits up to " + scale + ")");
            assertTrue(scale > 1e-2, "logits too small to be a meaningful comparison: " + scale);
        }
    }

    @Test
    void onnxRuntimeOnVit4jsExportGivesVit4jsLogitsWithin1em4() throws Exception {
        VitWeights w = BenchModels.weights("vitB16");
        VitConfig c = w.config();
        int batch = 2;
        float[] mine = new Vit(w).logits(Input.normalized(BenchModels.pixels(c, batch, 1))).dup('c').data().asFloat();
        try (OrtVit ort = new OrtVit(w, 2)) {
            float[] theirs = ort.logits(BenchModels.pixelValues(c, batch, 1),
                    new long[] {batch, c.channels(), c.imageSize(), c.imageSize()});
            double max = 0;
            for (int i = 0; i < mine.length; i++) {
                max = Math.max(max, Math.abs(mine[i] - theirs[i]));
            }
            assertTrue(max <= 1e-4, "ONNX Runtime and vit4j logits differ by " + max);
        }
    }
}
