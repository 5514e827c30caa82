package io.github.vit4j.attribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.vit4j.SmallFamilies;
import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Architecture;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Substitution;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import io.github.vit4j.model.VitWeights;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The sum invariant on a random model of every family with a linear path to the output (the original ViT and each
 * preset of {@code SmallFamilies} but SigLIP, which is refused), at every output, batched: Σ_k direct + bias = the
 * run's output within 1e-5 of the parts' total size (the run is float32; the attribution double). Also what the
 * other arrays sum to, and the refusals.
 */
class DirectLogitAttributionTest {

    /** The invariant's tolerance, relative to Σ_k |direct_k| + |bias| + |logit| (float32 rounding of the run). */
    static final double TOLERANCE = 1e-5;

    static Stream<Arguments> linearFamilies() {
        return Stream.concat(Stream.of(Arguments.of("vit", SmallFamilies.small(Architecture.VIT, 5)),
                        Arguments.of("vit cosine head", SmallFamilies.small(Architecture.VIT.withCosineHead(), 4))),
                SmallFamilies.all().filter(a -> !a.get()[0].equals("siglip")));
    }

    static INDArray pixels(VitConfig c, int batch, long seed) {
        return Nd4j.getRandomFactory().getNewRandomInstance(seed).nextGaussian(new long[] {batch, c.channels(),
                c.imageHeight(), c.imageHeight()}).castTo(DataType.FLOAT);
    }

    /** Asserts Σ_k direct + bias = logits for every image and class, within {@link #TOLERANCE} of the sizes. */
    static double assertSumsToTheLogits(LogitAttribution a) {
        INDArray direct = a.direct();
        INDArray sum = direct.sum(2).add(a.bias());
        INDArray size = Nd4j.math().abs(direct).sum(2).add(Nd4j.math().abs(a.bias()))
                .add(Nd4j.math().abs(a.logits()));
        double worst = 0;
        for (long i = 0; i < sum.length(); i++) {
            double gap = Math.abs(sum.getDouble(i) - a.logits().getDouble(i));
            worst = Math.max(worst, gap / size.getDouble(i));
            assertTrue(gap <= TOLERANCE * size.getDouble(i), "logit " + i + ": parts sum to " + sum.getDouble(i)
                    + ", the run gave " + a.logits().getDouble(i));
        }
        return worst;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("linearFamilies")
    void everyPartsShareAndTheBiasSumToEveryOutput(String family, VitConfig c) {
        Vit vit = new Vit(VitWeights.random(c, 3));
        int[] all = IntStream.range(0, c.classes()).toArray();
        LogitAttribution a = DirectLogitAttribution.of(vit.weights()).attribute(vit,
                Input.normalized(pixels(c, 3, 11)), all);
        assertSumsToTheLogits(a);
        assertEquals(1 + c.layers() * (c.heads() + 2), a.components().size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("linearFamilies")
    void eachHeadsSourcesSumToItsShareAndTheLayersToTheWhole(String family, VitConfig c) {
        Vit vit = new Vit(VitWeights.random(c, 4));
        LogitAttribution a = DirectLogitAttribution.of(vit.weights()).attribute(vit,
                Input.normalized(pixels(c, 2, 12)), 0, c.classes() - 1);
        INDArray perHead = a.perHead();                                                       // [B, C', L, H]
        INDArray fromSources = a.sources().sum(4);
        // z is the run's float32 pattern · v; the sources are pattern · v in double: float rounding apart
        assertTrue(perHead.equalsWithEps(fromSources, 1e-6), family + ": " + perHead + " vs " + fromSources);
        assertTrue(a.perLayer().sum(2).equalsWithEps(a.direct().sum(2), 1e-9));
        assertEquals(1 + 2 * c.layers(), a.layerNames().size());
        assertEquals(c.gridHeight(), a.sourceMap().size(2));
    }

    /**
     * For a head on the CLS row, the lens at CLS is the attribution itself (the CLS row is every row the head reads).
     */
    @Test
    void onAClsHeadTheLensAtClsIsTheAttribution() {
        VitConfig c = SmallFamilies.small(Architecture.VIT, 5);
        Vit vit = new Vit(VitWeights.random(c, 5));
        LogitAttribution a = DirectLogitAttribution.of(vit.weights()).attribute(vit, Input.normalized(pixels(c, 2, 3)),
                1, 4);
        INDArray lensAtCls = a.lens().get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.point(0));
        assertTrue(lensAtCls.equalsWithEps(a.direct(), 1e-12));
    }

    /**
     * TransformerLens's convention, built independently from the run's sites with ND4J: the stack of every part's
     * vector at CLS ({@code cache.stack_head_results} plus embed, b_O and MLPs), {@code apply_ln_to_stack} (centre
     * each part, divide by the run's final-LN scale of CLS), times γ, then the head's row: the same numbers.
     */
    @Test
    void itIsTransformerLensApplyLnToStackFollowedByTheUnembedding() {
        VitConfig c = SmallFamilies.small(Architecture.VIT, 5);
        VitWeights w = VitWeights.random(c, 6);
        Vit vit = new Vit(w);
        DirectLogitAttribution dla = DirectLogitAttribution.of(w);
        try (Activations run = vit.run(Input.normalized(pixels(c, 1, 4)), dla.keep())) {
            LogitAttribution a = dla.attribute(run, 2);
            INDArray stack = Nd4j.create(DataType.DOUBLE, a.components().size(), c.hiddenSize());  // [K, D] at CLS
            int k = 0;
            stack.putRow(k++, cls(run.get(Site.residPre(0))));
            int dh = c.headDim();
            for (int l = 0; l < c.layers(); l++) {
                INDArray wo = w.blocks().get(l).proj().weight().castTo(DataType.DOUBLE);          // [D, D]
                INDArray z = run.get(Site.z(l)).castTo(DataType.DOUBLE);                           // [1, H, T, d]
                for (int h = 0; h < c.heads(); h++) {
                    INDArray zh = z.get(NDArrayIndex.point(0), NDArrayIndex.point(h), NDArrayIndex.point(0),
                            NDArrayIndex.all()).reshape(1, dh);
                    INDArray woh = wo.get(NDArrayIndex.all(), NDArrayIndex.interval(h * dh, (h + 1) * dh));
                    stack.putRow(k++, zh.mmul(woh.transpose()).reshape(c.hiddenSize()));
                }
                stack.putRow(k++, w.blocks().get(l).proj().bias().castTo(DataType.DOUBLE));
                stack.putRow(k++, cls(run.get(Site.mlpOut(l))));
            }
            INDArray resid = cls(run.get(Site.residPost(c.layers() - 1)));
            double scale = Math.sqrt(resid.sub(resid.meanNumber()).norm2Number().doubleValue()
                    * resid.sub(resid.meanNumber()).norm2Number().doubleValue() / c.hiddenSize() + c.layerNormEps());
            INDArray centred = stack.subColumnVector(stack.mean(true, 1)).div(scale);              // apply_ln_to_stack
            INDArray unembed = w.norm().weight().castTo(DataType.DOUBLE)
                    .mul(w.head().weight().castTo(DataType.DOUBLE).getRow(2));                     // γ ⊙ W_U[:, 2]
            INDArray expected = centred.mmul(unembed.reshape(c.hiddenSize(), 1)).reshape(a.components().size());
            assertTrue(expected.equalsWithEps(a.direct().reshape(a.components().size()), 1e-9),
                    expected + " vs " + a.direct());
        }
    }

    private static INDArray cls(INDArray site) {
        return site.castTo(DataType.DOUBLE).get(NDArrayIndex.point(0), NDArrayIndex.point(0), NDArrayIndex.all())
                .dup();
    }

    @Test
    void eachImageGetsTheMapOfItsOwnClass() {
        VitConfig c = SmallFamilies.small(Architecture.VIT, 5);
        Vit vit = new Vit(VitWeights.random(c, 8));
        LogitAttribution a = DirectLogitAttribution.of(vit.weights()).attribute(vit, Input.normalized(pixels(c, 2, 9)),
                4, 1);
        INDArray maps = a.ofEachImage(a.sourceMap(), 1, 4);                                    // [2, gh, gw]
        assertTrue(maps.slice(0).equals(a.sourceMap().slice(0).slice(1)), "image 0, class 1 (second attributed)");
        assertTrue(maps.slice(1).equals(a.sourceMap().slice(1).slice(0)), "image 1, class 4 (first attributed)");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.ofEachImage(a.sourceMap(), 1, 2));
        assertTrue(e.getMessage().contains("class 2"), e.getMessage());
    }

    @Test
    void siglipsAttentionPoolingIsRefusedSayingWhy() {
        VitConfig c = SmallFamilies.small(Architecture.siglipVision(), 16);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DirectLogitAttribution.of(VitWeights.random(c, 1)));
        assertTrue(e.getMessage().contains("attention probe"), e.getMessage());
    }

    @Test
    void aRunWithASubstitutedAttnOutIsRefusedNamingTheSite() {
        Vit vit = new Vit(VitWeights.random(SmallFamilies.small(Architecture.VIT, 5), 7));
        VitConfig c = vit.config();
        DirectLogitAttribution dla = DirectLogitAttribution.of(vit.weights());
        Map<Site, Substitution> zero = Map.of(Site.attnOut(1),
                Substitution.whole(Nd4j.zeros(DataType.FLOAT, Site.attnOut(1).shape(c, 1))));
        try (Activations run = vit.run(Input.normalized(pixels(c, 1, 5)), dla.keep(), zero)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dla.attribute(run, 0));
            assertTrue(e.getMessage().contains("blocks.1.attn_out"), e.getMessage());
        }
    }

    @Test
    void aClassOutsideTheOutputsIsRefusedNamingIt() {
        Vit vit = new Vit(VitWeights.random(SmallFamilies.small(Architecture.VIT, 5), 7));
        DirectLogitAttribution dla = DirectLogitAttribution.of(vit.weights());
        Input input = Input.normalized(pixels(vit.config(), 1, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dla.attribute(vit, input, 5));
        assertTrue(e.getMessage().contains("class 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dla.attribute(vit, input));
    }
}
