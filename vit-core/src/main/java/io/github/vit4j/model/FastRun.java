package io.github.vit4j.model;

import io.github.vit4j.model.kernels.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One run of {@link Vit}, the fast path: the same site lookup as {@link ReferenceForward}, plus the memory
 * bookkeeping. Arrays the run produced and neither keeps nor still needs are freed as soon as the block that used
 * them is done, so that a run keeping few sites reuses warm memory instead of leaving every intermediate to the
 * garbage collector (fresh pages cost more than the arithmetic here). Arrays it did not produce (the caller's input
 * and substitutions) are never freed.
 *
 * <p>In a CLS-only last block ({@code clsOnlyLayer}) the run holds only the CLS row of q and of every site after k and
 * v, and of ln_final; a substitution there uses its own CLS row.
 */
final class FastRun implements SiteLookup {

    private final Keep keep;
    private final Map<Site, Substitution> substitutions;
    private final VitConfig config;
    private final int batch;
    private final int clsOnlyLayer;
    private final Ops ops;
    private final Map<Site, INDArray> kept = new LinkedHashMap<>();
    /** Arrays kept: never freed. */
    private final Set<INDArray> keptArrays = identitySet();
    /** The caller's arrays: never freed. */
    private final Set<INDArray> callers = identitySet();
    /** Arrays produced and not yet freed. */
    private final Set<INDArray> unkept = identitySet();
    private final List<INDArray> freed = new ArrayList<>();

    /** @param clsOnlyLayer the block computed for its CLS row alone, or −1 for none */
    FastRun(Keep keep, Map<Site, Substitution> substitutions, VitConfig config, int batch, int clsOnlyLayer, Ops ops) {
        this.keep = keep;
        this.substitutions = substitutions;
        this.config = config;
        this.batch = batch;
        this.clsOnlyLayer = clsOnlyLayer;
        this.ops = ops;
    }

    /** The array the run uses at {@code site}: the substituted one if any, else {@code produced}; kept if asked. */
    @Override
    public INDArray site(Site site, INDArray produced) {
        Substitution s = substitutions.get(site);
        if (s != null && isClsRow(site)) {
            s = clsRowOf(site, s);
        }
        INDArray used = s == null ? produced : applied(s, site, produced);
        keepIfAsked(site, used);
        if (!callers.contains(produced)) {
            unkept.add(produced);
        }
        return used;
    }

    /** Whether the run keeps {@code site} or substitutes it: then it must exist as an array of its own. */
    boolean observes(Site site) {
        return keep.keeps(site) || substitutions.containsKey(site);
    }

    /** The caller's array that replaces a module's output whole, the module not computed; kept if asked. */
    INDArray skipped(Site output) {
        INDArray whole = checked(output, ((Substitution.Whole) substitutions.get(output)).array());
        INDArray used = callers(isClsRow(output) ? clsRow(whole, output.kind()) : whole);
        keepIfAsked(output, used);
        return used;
    }

    /** Records {@code a}, an intermediate that is no site, as made by the run: freed with the block's arrays. */
    INDArray made(INDArray a) {
        unkept.add(a);
        return a;
    }

    /** Marks {@code a} as the caller's: never freed by the run. */
    INDArray callers(INDArray a) {
        callers.add(a);
        return a;
    }

    /** Frees the memory of every array this run produced and does not keep, except {@code live}. */
    void release(INDArray live) {
        for (Iterator<INDArray> it = unkept.iterator(); it.hasNext(); ) {
            INDArray a = it.next();
            if (a == live) {
                continue;
            }
            it.remove();
            if (!keptArrays.contains(a)) {
                freed.add(a);
            }
        }
        ops.release(freed);
        freed.clear();
    }

    /** The kept arrays by site, in the order the run produced them. */
    Map<Site, INDArray> kept() {
        return kept;
    }

    /** The kept arrays this run produced (not the caller's input or substitutions): what closing them frees. */
    Set<INDArray> owned() {
        Set<INDArray> owned = identitySet();
        for (INDArray a : kept.values()) {
            if (!callers.contains(a)) {
                owned.add(a);
            }
        }
        return owned;
    }

    /** The CLS row (token 0) of {@code a}, an array of a site of kind {@code kind}, as a view {@code [.., 1, ..]}. */
    static INDArray clsRow(INDArray a, Site.Kind kind) {
        INDArrayIndex[] index = new INDArrayIndex[a.rank()];
        for (int i = 0; i < index.length; i++) {
            index[i] = i == kind.tokenAxis() ? NDArrayIndex.interval(0, 1) : NDArrayIndex.all();
        }
        return a.get(index);
    }

    /** Whether the run holds only the CLS row of {@code site}: q, the sites after k and v, and ln_final. */
    private boolean isClsRow(Site site) {
        if (clsOnlyLayer < 0) {
            return false;
        }
        Site.Kind k = site.kind();
        return site.layer() == clsOnlyLayer && k != Site.Kind.RESID_PRE && k != Site.Kind.LN1 && k != Site.Kind.K
                && k != Site.Kind.V || k == Site.Kind.LN_FINAL;
    }

    /** The CLS row of substitution {@code s}, its arrays checked against the full site first, as everywhere else. */
    private Substitution clsRowOf(Site site, Substitution s) {
        Site.Kind kind = site.kind();
        if (s instanceof Substitution.Whole whole) {
            return Substitution.whole(clsRow(checked(site, whole.array()), kind));
        }
        Substitution.Masked masked = (Substitution.Masked) s;
        INDArray m = masked.mask();
        INDArray mask = m.rank() > kind.tokenAxis() && m.size(kind.tokenAxis()) > 1 ? clsRow(m, kind) : m;
        return Substitution.masked(clsRow(checked(site, masked.source()), kind), mask);
    }

    /** {@code s} applied: the caller's array for a whole substitution, else a new array of this run's. */
    private INDArray applied(Substitution s, Site site, INDArray produced) {
        INDArray used = s.apply(site, produced);
        if (s instanceof Substitution.Whole) {
            return callers(used);
        }
        unkept.add(used);                                      // a masked mix: freed like a produced array
        return used;
    }

    /** {@code given}, if it has the site's full shape in this run and is float32; else a message naming both. */
    private INDArray checked(Site site, INDArray given) {
        long[] want = site.shape(config, batch);
        if (!Arrays.equals(want, given.shape())) {
            throw new IllegalArgumentException("substitution for " + site + " has shape "
                    + Arrays.toString(given.shape()) + " but the run produces " + Arrays.toString(want)
                    + "; is it from a run of the same model with the same batch size?");
        }
        if (given.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("substitution for " + site + " is " + given.dataType()
                    + " but the run is FLOAT; cast it with castTo(DataType.FLOAT)");
        }
        return given;
    }

    private void keepIfAsked(Site site, INDArray used) {
        if (keep.keeps(site)) {
            kept.put(site, used);
            keptArrays.add(used);
        }
    }

    private static Set<INDArray> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }
}
