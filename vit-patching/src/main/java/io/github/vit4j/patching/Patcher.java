package io.github.vit4j.patching;

import io.github.vit4j.model.Activations;
import io.github.vit4j.model.Input;
import io.github.vit4j.model.Keep;
import io.github.vit4j.model.Site;
import io.github.vit4j.model.Substitution;
import io.github.vit4j.model.Vit;
import io.github.vit4j.model.VitConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Patched runs: the corrupted run's arrays with some replaced, resumed rather than recomputed.
 *
 * <p>A patched run whose earliest patch is at block l starts from the corrupted run's cached {@code resid_pre} of
 * block l, so its cost is proportional to the blocks that remain. (A patch of {@code resid_post} of block l is the
 * same array as {@code resid_pre} of block l + 1, so it starts one block later still.) The corrupted run must
 * therefore keep {@link #keepForResume}.
 *
 * <p>Many patch configurations run as one batched forward per start layer, one row per configuration; the results
 * equal running them one at a time.
 */
public final class Patcher {

    /** Rows per batched forward by default: bounds memory for sweeps of hundreds of configurations. */
    public static final int DEFAULT_MAX_ROWS = 64;

    private final Vit vit;
    private final VitConfig config;
    private final int maxRows;

    public Patcher(Vit vit) {
        this(vit, DEFAULT_MAX_ROWS);
    }

    /** A patcher running at most {@code maxRows} configurations per batched forward. */
    public Patcher(Vit vit, int maxRows) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be >= 1, got " + maxRows);
        }
        this.vit = vit;
        this.config = vit.config();
        this.maxRows = maxRows;
    }

    public Vit vit() {
        return vit;
    }

    /** What a corrupted run must keep so that patched runs can resume from any layer. */
    public static Keep keepForResume(VitConfig c) {
        return Keep.kinds(Site.Kind.RESID_PRE).and(Keep.sites(Site.residPost(c.layers() - 1)));
    }

    /**
     * One patched run of the corrupted run's batch: each patch's source has batch 1 (broadcast) or the corrupted
     * batch. Whole-site patches whose source has the run's batch use the source array itself, no copy.
     *
     * @throws IllegalArgumentException for two patches at one site, or a corrupted run that did not keep the
     *                                  {@code resid_pre} to resume from
     */
    public Activations run(Activations corrupted, List<Patch> patches, Keep keep) {
        List<Patch> normal = patches.stream().map(this::normalise).toList();
        int start = startLayer(normal);
        Map<Site, Substitution> subs = new LinkedHashMap<>();
        for (Patch p : normal) {
            INDArray src = p.source();
            if (src.size(0) != corrupted.batch() && src.size(0) != 1) {
                throw new IllegalArgumentException("patch source for " + p.site() + " has batch " + src.size(0)
                        + " but the corrupted run has batch " + corrupted.batch() + "; use batch 1 or the same batch");
            }
            Substitution s;
            if (p.isWhole(config) && src.size(0) == corrupted.batch()) {
                s = Substitution.whole(src);
            } else {
                long[] full = p.site().shape(config, corrupted.batch());
                s = Substitution.masked(src.size(0) == corrupted.batch() ? src : src.broadcast(full), p.mask(config));
            }
            if (subs.put(p.site(), s) != null) {
                throw new IllegalArgumentException("two patches at " + p.site()
                        + "; merge their token or head selections into one patch");
            }
        }
        return vit.run(Input.residPre(start, resumeFrom(corrupted, start)), keep, subs);
    }

    /**
     * The logits {@code [R, C]} of R patched runs of one image, row r patched by {@code configurations.get(r)}.
     * Rows are grouped by start layer and each group runs as batched forwards of at most {@code maxRows} rows from
     * there.
     *
     * @param corrupted the corrupted run of one image (batch 1), keeping {@link #keepForResume}
     * @param configurations each a list of patches with batch-1 sources (an empty list: the corrupted run itself)
     */
    public INDArray logits(Activations corrupted, List<List<Patch>> configurations) {
        if (corrupted.batch() != 1) {
            throw new IllegalArgumentException("batched patching takes the corrupted run of one image, got batch "
                    + corrupted.batch() + "; use Activations.image(i)");
        }
        TreeMap<Integer, List<Integer>> groups = new TreeMap<>();
        List<List<Patch>> normal = new ArrayList<>();
        for (int r = 0; r < configurations.size(); r++) {
            List<Patch> ps = configurations.get(r).stream().map(this::normalise).toList();
            normal.add(ps);
            groups.computeIfAbsent(startLayer(ps), k -> new ArrayList<>()).add(r);
        }
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, configurations.size(), config.classes());
        for (Map.Entry<Integer, List<Integer>> g : groups.entrySet()) {
            int start = g.getKey();
            List<Integer> group = g.getValue();
            for (int from = 0; from < group.size(); from += maxRows) {
                List<Integer> rows = group.subList(from, Math.min(group.size(), from + maxRows));
                INDArray logits = groupLogits(corrupted, start, rows.stream().map(normal::get).toList());
                for (int i = 0; i < rows.size(); i++) {
                    out.putRow(rows.get(i), logits.getRow(i));
                }
            }
        }
        return out;
    }

    private INDArray groupLogits(Activations corrupted, int start, List<List<Patch>> rows) {
        int n = rows.size();
        INDArray from = resumeFrom(corrupted, start);
        INDArray input = n == 1 ? from : Nd4j.tile(from, n, 1, 1);
        Map<Site, INDArray[]> sources = new LinkedHashMap<>();
        Map<Site, INDArray[]> masks = new LinkedHashMap<>();
        for (int r = 0; r < n; r++) {
            for (Patch p : rows.get(r)) {
                if (p.source().size(0) != 1) {
                    throw new IllegalArgumentException("batched patching needs batch-1 sources; " + p.site()
                            + " has batch " + p.source().size(0));
                }
                INDArray[] s = sources.computeIfAbsent(p.site(), k -> new INDArray[n]);
                INDArray[] m = masks.computeIfAbsent(p.site(), k -> new INDArray[n]);
                if (s[r] != null) {
                    throw new IllegalArgumentException("two patches at " + p.site() + " in configuration " + r);
                }
                s[r] = p.source();
                m[r] = p.mask(config);
            }
        }
        Map<Site, Substitution> subs = new LinkedHashMap<>();
        for (Map.Entry<Site, INDArray[]> e : sources.entrySet()) {
            Site site = e.getKey();
            INDArray[] s = e.getValue();
            INDArray[] m = masks.get(site);
            INDArray someMask = Arrays.stream(m).filter(x -> x != null).findFirst().orElseThrow();
            for (int r = 0; r < n; r++) {
                if (s[r] == null) {
                    s[r] = Nd4j.zeros(DataType.FLOAT, site.shape(config, 1));
                    m[r] = Nd4j.zerosLike(someMask);
                }
            }
            if (n == 1) {
                subs.put(site, Substitution.masked(s[0], m[0]));
            } else {
                subs.put(site, Substitution.masked(Nd4j.concat(0, s), Nd4j.concat(0, m)));
            }
        }
        return vit.run(Input.residPre(start, input), Keep.logitsOnly(), subs).logits();
    }

    /** resid_post of block l (l < L − 1) is resid_pre of block l + 1: patch it there and start a block later. */
    private Patch normalise(Patch p) {
        Site s = p.site();
        if (s.kind() == Site.Kind.RESID_POST && s.layer() < config.layers() - 1) {
            return new Patch(Site.residPre(s.layer() + 1), p.tokens(), p.heads(), p.source());
        }
        if (s.kind().perBlock() && s.layer() >= config.layers()) {
            throw new IllegalArgumentException("patch at " + s + " but the model has " + config.layers()
                    + " layers (0.." + (config.layers() - 1) + ")");
        }
        return p;
    }

    private int startLayer(List<Patch> patches) {
        int start = config.layers();
        for (Patch p : patches) {
            if (p.site().kind().perBlock()) {
                start = Math.min(start, p.site().layer());
            }
        }
        return start;
    }

    private INDArray resumeFrom(Activations corrupted, int start) {
        Site s = start < config.layers() ? Site.residPre(start) : Site.residPost(config.layers() - 1);
        if (!corrupted.has(s)) {
            throw new IllegalArgumentException("the corrupted run did not keep " + s + " to resume from; run it with"
                    + " Keep Patcher.keepForResume(config)");
        }
        return corrupted.get(s);
    }
}
