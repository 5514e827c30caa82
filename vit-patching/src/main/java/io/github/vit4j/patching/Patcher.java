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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Patched runs: the corrupted run's arrays with some replaced, resumed rather than recomputed.
 *
 * <p>Where a patched run starts:
 * <ul>
 * <li>at the earliest patched block l, from the corrupted run's cached {@code resid_pre} of block l: blocks before
 *     l are the corrupted run's, so they are not recomputed (the corrupted run must keep {@link #keepForResume});</li>
 * <li>a patch of {@code resid_post} of block l is the same array as {@code resid_pre} of block l + 1, so it counts
 *     as a patch there;</li>
 * <li>a patch of the whole residual stream (every token of {@code resid_pre} of block m) decides everything after
 *     it: patches before block m cannot matter, so the run starts at block m from the patch's source itself.
 *     (Restoring the hidden state at all tokens costs only the blocks after the window.)</li>
 * </ul>
 * A run that starts at block m does not record sites of earlier blocks.
 *
 * <p>Many patch configurations run as batched forwards, one row per configuration, grouped by start layer and by
 * the {@code attn_out} / {@code mlp_out} they replace whole (so that their batch skips computing those modules); the
 * results equal running them one at a time.
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
     * Where a configuration's run starts, from what, and the patches that still apply there.
     *
     * @param start   the first block computed (L: only the final LayerNorm and head)
     * @param input   its {@code resid_pre} ({@code resid_post} of the last block when start = L)
     * @param patches the patches applied during the run
     */
    record ResumePlan(int start, INDArray input, List<Patch> patches) {
    }

    /**
     * One patched run of the corrupted run's batch: each patch's source has batch 1 (broadcast) or the corrupted
     * batch. Whole-site patches whose source has the run's batch use the source array itself, no copy: the result
     * borrows the corrupted run's {@code resid_pre} and those sources, so close the runs they come from only after
     * the result is done with ({@link Activations#close()}).
     *
     * @throws IllegalArgumentException for two patches at one site, or a corrupted run that did not keep the
     *                                  {@code resid_pre} to resume from
     */
    public Activations run(Activations corrupted, List<Patch> patches, Keep keep) {
        for (Patch p : patches) {
            if (p.source().size(0) != corrupted.batch() && p.source().size(0) != 1) {
                throw new IllegalArgumentException("patch source for " + p.site() + " has batch " + p.source().size(0)
                        + " but the corrupted run has batch " + corrupted.batch() + "; use batch 1 or the same batch");
            }
        }
        ResumePlan plan = plan(corrupted, patches);
        Map<Site, Substitution> subs = new LinkedHashMap<>();
        for (Patch p : plan.patches()) {
            subs.put(p.site(), substitution(p.site(), new Patch[] {p}, corrupted.batch()));
        }
        INDArray input = plan.input();
        if (input.size(0) != corrupted.batch()) {
            input = input.broadcast(Site.residPre(0).shape(config, corrupted.batch()));
        }
        return vit.run(Input.residPre(plan.start(), input), keep, subs);
    }

    /**
     * The logits {@code [R, C]} of R patched runs of one image, row r patched by {@code configurations.get(r)}.
     * Rows are grouped by start layer and by the module outputs they replace whole (see {@code Group}), and each group
     * runs as batched forwards of at most {@code maxRows} rows from there.
     *
     * @param corrupted the corrupted run of one image (batch 1), keeping {@link #keepForResume}
     * @param configurations each a list of patches with batch-1 sources (an empty list: the corrupted run itself)
     */
    public INDArray logits(Activations corrupted, List<List<Patch>> configurations) {
        if (corrupted.batch() != 1) {
            throw new IllegalArgumentException("batched patching takes the corrupted run of one image, got batch "
                    + corrupted.batch() + "; use Activations.image(i)");
        }
        Map<Group, List<Integer>> groups = new LinkedHashMap<>();
        List<ResumePlan> plans = new ArrayList<>();
        for (int r = 0; r < configurations.size(); r++) {
            for (Patch p : configurations.get(r)) {
                if (p.source().size(0) != 1) {
                    throw new IllegalArgumentException("batched patching needs batch-1 sources; " + p.site()
                            + " in configuration " + r + " has batch " + p.source().size(0));
                }
            }
            ResumePlan plan = plan(corrupted, configurations.get(r));
            plans.add(plan);
            groups.computeIfAbsent(Group.of(plan, config), k -> new ArrayList<>()).add(r);
        }
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, configurations.size(), config.classes());
        for (Map.Entry<Group, List<Integer>> g : groups.entrySet()) {
            List<Integer> group = g.getValue();
            for (int from = 0; from < group.size(); from += maxRows) {
                List<Integer> rows = group.subList(from, Math.min(group.size(), from + maxRows));
                INDArray logits = groupLogits(g.getKey().start(), rows.stream().map(plans::get).toList());
                for (int i = 0; i < rows.size(); i++) {
                    out.putRow(rows.get(i), logits.getRow(i));
                }
            }
        }
        return out;
    }

    /**
     * Rows that run as one batched forward: the same start block, and the same module outputs ({@code attn_out},
     * {@code mlp_out}) replaced whole. A batch in which every row replaces a module's output whole does not compute
     * that module ({@link Vit#run}); mixing in a row that needs it would make the whole batch compute it, and would
     * mix the rows through masks. The price: rows of one start layer that replace different modules run as smaller
     * batches. In a window trace that is the better trade (docs/performance.md, runs F and H: 0.64 → 0.36 of
     * naive); many same-start rows each replacing a different module would batch worse than before.
     */
    private record Group(int start, Set<Site> wholeModuleOutputs) {
        static Group of(ResumePlan plan, VitConfig config) {
            Set<Site> whole = new HashSet<>();
            for (Patch p : plan.patches()) {
                Site.Kind k = p.site().kind();
                if ((k == Site.Kind.ATTN_OUT || k == Site.Kind.MLP_OUT) && p.isWhole(config)) {
                    whole.add(p.site());
                }
            }
            return new Group(plan.start(), whole);
        }
    }

    /** One batched forward of rows that start at the same block: row r's input and patches stacked along batch. */
    private INDArray groupLogits(int start, List<ResumePlan> rows) {
        int n = rows.size();
        INDArray input = n == 1 ? rows.get(0).input()
                : Nd4j.concat(0, rows.stream().map(ResumePlan::input).toArray(INDArray[]::new));
        Map<Site, Patch[]> bySite = new LinkedHashMap<>();
        for (int r = 0; r < n; r++) {
            for (Patch p : rows.get(r).patches()) {
                bySite.computeIfAbsent(p.site(), k -> new Patch[n])[r] = p;
            }
        }
        Map<Site, Substitution> subs = new LinkedHashMap<>();
        bySite.forEach((site, patches) -> subs.put(site, substitution(site, patches, n)));
        try (Activations run = vit.run(Input.residPre(start, input), Keep.logitsOnly(), subs)) {
            return run.logits().dup();                             // the run's memory goes back for the next group
        }
    }

    /**
     * The one translation of patches into the substitution at their {@code site}, for a run of {@code batch} images
     * in {@code rows.length} equal rows: row r patched by {@code rows[r]}, or not at all where that is null. Either
     * one row (sources of batch 1, broadcast, or of the run's batch) or one image per row (sources of batch 1).
     * Every row patched whole by a source of the row's batch: a whole substitution, the source itself when there is
     * one row (no copy), so a module output replaced so lets the run skip the module. Else a masked one, rows without
     * a patch masked out.
     */
    private Substitution substitution(Site site, Patch[] rows, int batch) {
        int n = rows.length;
        int rowBatch = batch / n;
        long[] rowShape = site.shape(config, rowBatch);
        INDArray[] sources = new INDArray[n];
        INDArray[] masks = new INDArray[n];
        boolean whole = true;
        for (int r = 0; r < n; r++) {
            Patch p = rows[r];
            if (p != null) {
                INDArray src = p.source();
                sources[r] = src.size(0) == rowBatch ? src : src.broadcast(rowShape);
                masks[r] = p.mask(config);
                whole &= p.isWhole(config) && src.size(0) == rowBatch;
            } else {
                sources[r] = Nd4j.zeros(DataType.FLOAT, rowShape);
                whole = false;
            }
        }
        INDArray source = n == 1 ? sources[0] : Nd4j.concat(0, sources);
        if (whole) {
            return Substitution.whole(source);
        }
        INDArray someMask = Arrays.stream(masks).filter(m -> m != null).findFirst().orElseThrow();
        for (int r = 0; r < n; r++) {
            if (masks[r] == null) {
                masks[r] = Nd4j.zerosLike(someMask);
            }
        }
        return Substitution.masked(source, n == 1 ? masks[0] : Nd4j.concat(0, masks));
    }

    /** Where a configuration starts and which of its patches still matter there (see the class comment). */
    ResumePlan plan(Activations corrupted, List<Patch> patches) {
        List<Patch> normal = new ArrayList<>();
        Set<Site> seen = new HashSet<>();
        for (Patch p : patches) {
            Patch q = normalise(p);
            if (!seen.add(q.site())) {
                throw new IllegalArgumentException("two patches at " + q.site() + (q.site().equals(p.site()) ? ""
                        : p.site().kind() == Site.Kind.EMBED_LN ? " (embed_ln is blocks.0.resid_pre)"
                        : " (resid_post of block " + p.site().layer() + " is resid_pre of the next)")
                        + "; merge their token or head selections into one patch");
            }
            normal.add(q);
        }
        Patch cut = null;
        for (Patch p : normal) {
            boolean stream = p.site().kind() == Site.Kind.RESID_PRE
                    || p.site().kind() == Site.Kind.RESID_POST && p.site().layer() == config.layers() - 1;
            if (stream && p.isWhole(config) && (cut == null || blockOf(p) > blockOf(cut))) {
                cut = p;
            }
        }
        if (cut != null) {
            int start = blockOf(cut);
            Patch c = cut;
            List<Patch> after = normal.stream().filter(p -> p != c && (!p.site().kind().perBlock()
                    || p.site().layer() >= start)).toList();
            return new ResumePlan(start, cut.source(), after);
        }
        int start = config.layers();
        for (Patch p : normal) {
            if (p.site().kind().perBlock()) {
                start = Math.min(start, p.site().layer());
            }
        }
        return new ResumePlan(start, resumeFrom(corrupted, start), normal);
    }

    /** The block whose input a stream patch sets: l for resid_pre of block l, L for resid_post of the last. */
    private int blockOf(Patch p) {
        return p.site().kind() == Site.Kind.RESID_PRE ? p.site().layer() : config.layers();
    }

    /**
     * resid_post of block l (l < L − 1) is resid_pre of block l + 1: patch it there and start a block later;
     * {@code embed_ln} (CLIP's LayerNorm before the blocks) is {@code blocks.0.resid_pre}.
     */
    private Patch normalise(Patch p) {
        Site s = p.site();
        if (s.kind().perBlock() && s.layer() >= config.layers()) {
            throw new IllegalArgumentException("patch at " + s + " but the model has " + config.layers()
                    + " layers (0.." + (config.layers() - 1) + ")");
        }
        if (!config.hasSite(s.kind())) {
            throw new IllegalArgumentException("patch at " + s + ", a site this model's runs do not have (architecture "
                    + config.architecture() + "); VitConfig.sites() lists those they have");
        }
        if (s.kind() == Site.Kind.EMBED_LN) {
            return new Patch(Site.residPre(0), p.tokens(), p.heads(), p.source());
        }
        if (s.kind() == Site.Kind.RESID_POST && s.layer() < config.layers() - 1) {
            return new Patch(Site.residPre(s.layer() + 1), p.tokens(), p.heads(), p.source());
        }
        return p;
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
