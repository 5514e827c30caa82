package io.github.vit4j.convert;

import io.github.vit4j.format.ModelFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A weights file seen through a family's arithmetic on its tensors: some tensors are made from others when the
 * file's layout and vit4j's differ by more than names. SigLIP's fused {@code in_proj_weight} split into q and k|v,
 * DINOv2's layer scale folded into the output projections, CLIP's missing patch bias made zero, OpenCLIP's
 * {@code [D, P]} projection transposed, timm's CLS-less position embeddings given a zero CLS row. Each derived
 * tensor's shape is known from its sources' shapes without reading them; the sources a derivation consumes are
 * hidden from {@link #names()}, so the weight mapper's check for unused tensors still sees every one.
 */
final class DerivedWeights implements WeightsFile {

    /** How one tensor is made from the file's tensors; names may hold {@code {i}}, the block index. */
    sealed interface Recipe permits Rows, Transposed, RowScaled, Zeros, ZeroRowsFirst {

        /** The file tensors this recipe reads (the first decides which block indices exist). */
        List<String> sources();

        /** This recipe with {@code {i}} replaced by {@code index}. */
        Recipe at(String index);

        /** The shape made, from the sources' shapes alone. */
        long[] shape(DerivedWeights file, String name) throws ModelFormatException;

        /** The tensor made; {@code source} is the first source, read, and {@code shape} what {@link #shape} said. */
        INDArray make(DerivedWeights file, INDArray source, long[] shape) throws IOException;
    }

    /** Rows {@code [from/parts, to/parts)} of the source's first axis, e.g. k|v of a fused q|k|v as (1, 3, 3). */
    record Rows(String source, int from, int to, int parts) implements Recipe {
        public List<String> sources() {
            return List.of(source);
        }

        public Recipe at(String i) {
            return new Rows(source.replace(NameLayout.BLOCK, i), from, to, parts);
        }

        public long[] shape(DerivedWeights file, String name) throws ModelFormatException {
            long[] s = file.base.shape(source);
            if (s.length == 0 || s[0] % parts != 0) {
                throw file.refused(name, source, s, "rows in " + parts + " equal parts");
            }
            long[] out = s.clone();
            out[0] = (to - from) * (s[0] / parts);
            return out;
        }

        public INDArray make(DerivedWeights file, INDArray a, long[] shape) {
            long part = a.size(0) / parts;
            INDArray matrix = a.reshape('c', a.size(0), a.length() / a.size(0));
            return matrix.get(NDArrayIndex.interval(from * part, to * part), NDArrayIndex.all()).dup('c')
                    .reshape('c', shape);
        }
    }

    /** The transpose of a 2-D source. */
    record Transposed(String source) implements Recipe {
        public List<String> sources() {
            return List.of(source);
        }

        public Recipe at(String i) {
            return new Transposed(source.replace(NameLayout.BLOCK, i));
        }

        public long[] shape(DerivedWeights file, String name) throws ModelFormatException {
            long[] s = file.base.shape(source);
            if (s.length != 2) {
                throw file.refused(name, source, s, "a 2-D matrix to transpose");
            }
            return new long[] {s[1], s[0]};
        }

        public INDArray make(DerivedWeights file, INDArray a, long[] shape) {
            return a.transpose().dup('c');
        }
    }

    /** Each row r of the source times {@code scale[r]}: layer scale folded, diag(γ)·W and γ ⊙ b. */
    record RowScaled(String source, String scale) implements Recipe {
        public List<String> sources() {
            return List.of(source, scale);
        }

        public Recipe at(String i) {
            return new RowScaled(source.replace(NameLayout.BLOCK, i), scale.replace(NameLayout.BLOCK, i));
        }

        public long[] shape(DerivedWeights file, String name) throws ModelFormatException {
            long[] s = file.base.shape(source);
            long[] factors = WeightMapper.squeezeLeadingOnes(file.base.shape(scale), 1);
            if (s.length == 0 || factors.length != 1 || factors[0] != s[0]) {
                throw file.refused(name, scale, factors, "one factor per row of " + source + " "
                        + Arrays.toString(s));
            }
            return s;
        }

        public INDArray make(DerivedWeights file, INDArray a, long[] shape) throws IOException {
            INDArray factors = file.base.load(scale).reshape('c', a.size(0), 1);
            return a.reshape('c', a.size(0), a.length() / a.size(0)).mulColumnVector(factors).reshape('c', shape);
        }
    }

    /**
     * Zeros, as many as the source has rows: a bias for a layer saved without one (made only where the file has no
     * tensor of that name). The source stays visible.
     */
    record Zeros(String source) implements Recipe {
        public List<String> sources() {
            return List.of(source);
        }

        public Recipe at(String i) {
            return new Zeros(source.replace(NameLayout.BLOCK, i));
        }

        public long[] shape(DerivedWeights file, String name) throws ModelFormatException {
            long[] s = file.base.shape(source);
            if (s.length == 0) {
                throw file.refused(name, source, s, "rows to count");
            }
            return new long[] {s[0]};
        }

        public INDArray make(DerivedWeights file, INDArray a, long[] shape) {
            return Nd4j.zeros(DataType.FLOAT, shape);
        }
    }

    /** The source {@code [.., N, D]} (leading 1s dropped) with {@code rows} zero rows on top: {@code [rows + N, D]}. */
    record ZeroRowsFirst(String source, int rows) implements Recipe {
        public List<String> sources() {
            return List.of(source);
        }

        public Recipe at(String i) {
            return new ZeroRowsFirst(source.replace(NameLayout.BLOCK, i), rows);
        }

        public long[] shape(DerivedWeights file, String name) throws ModelFormatException {
            long[] s = file.base.shape(source);
            long[] m = WeightMapper.squeezeLeadingOnes(s, 2);
            if (m.length != 2) {
                throw file.refused(name, source, s, "[1, N, D] or [N, D]");
            }
            return new long[] {m[0] + rows, m[1]};
        }

        public INDArray make(DerivedWeights file, INDArray a, long[] shape) {
            return Nd4j.concat(0, Nd4j.zeros(DataType.FLOAT, rows, shape[1]),
                    a.reshape('c', shape[0] - rows, shape[1]));
        }
    }

    private final WeightsFile base;
    private final Map<String, Recipe> recipes;
    private final Set<String> names;

    private DerivedWeights(WeightsFile base, Map<String, Recipe> recipes, Set<String> names) {
        this.base = base;
        this.recipes = recipes;
        this.names = names;
    }

    /**
     * {@code base} with the tensors {@code recipes} make (target name → recipe, both possibly with {@code {i}}: one
     * per block index the recipe's first source is found with). A recipe whose sources the file lacks is left out,
     * so that the mapper names the missing tensor.
     */
    static WeightsFile of(WeightsFile base, Map<String, Recipe> recipes) {
        if (recipes.isEmpty()) {
            return base;
        }
        Map<String, Recipe> concrete = new LinkedHashMap<>();
        for (Map.Entry<String, Recipe> e : recipes.entrySet()) {
            String first = e.getValue().sources().get(0);
            if (!first.contains(NameLayout.BLOCK)) {
                concrete.put(e.getKey(), e.getValue());
                continue;
            }
            Pattern p = NameLayout.indexPattern(first);
            for (String name : base.names()) {
                Matcher m = p.matcher(name);
                if (m.matches()) {
                    concrete.put(e.getKey().replace(NameLayout.BLOCK, m.group(1)), e.getValue().at(m.group(1)));
                }
            }
        }
        concrete.values().removeIf(r -> !r.sources().stream().allMatch(base::contains));
        concrete.keySet().removeIf(name -> concrete.get(name) instanceof Zeros && base.contains(name));
        Set<String> names = new LinkedHashSet<>(base.names());
        for (Recipe r : concrete.values()) {
            if (!(r instanceof Zeros)) {
                r.sources().forEach(names::remove);
            }
        }
        names.addAll(concrete.keySet());
        return new DerivedWeights(base, Collections.unmodifiableMap(concrete), Collections.unmodifiableSet(names));
    }

    @Override
    public Path file() {
        return base.file();
    }

    @Override
    public Set<String> names() {
        return names;
    }

    @Override
    public long[] shape(String name) throws ModelFormatException {
        Recipe r = recipes.get(name);
        if (r == null) {
            if (!names.contains(name)) {
                throw noSuchTensor(name);
            }
            return base.shape(name);
        }
        return r.shape(this, name);
    }

    @Override
    public INDArray load(String name) throws IOException {
        Recipe r = recipes.get(name);
        if (r == null) {
            if (!names.contains(name)) {
                throw noSuchTensor(name);
            }
            return base.load(name);
        }
        long[] shape = r.shape(this, name);
        return r.make(this, base.load(r.sources().get(0)), shape);
    }

    @Override
    public void close() throws IOException {
        base.close();
    }

    ModelFormatException refused(String name, String source, long[] shape, String expected) {
        return new ModelFormatException(file() + ": cannot make " + name + " from " + source + " "
                + Arrays.toString(shape) + ": expected " + expected);
    }
}
