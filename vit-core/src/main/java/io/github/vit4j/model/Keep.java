package io.github.vit4j.model;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;

/**
 * Which sites a run keeps (records in its {@link Activations}). Logits are always kept. Keeping every site of a
 * ViT-B/16 image is about 160 MB (per block: seven [197, 768] arrays, q/k/v/z, the [12, 197, 197] pattern and two
 * [197, 3072] MLP arrays); keeping only {@code resid_pre} per layer, what a cached prefix needs, is 7 MB.
 *
 * @param kinds kinds kept at every layer
 * @param sites individual sites kept in addition
 */
public record Keep(Set<Site.Kind> kinds, Set<Site> sites) {

    public Keep {
        kinds = kinds.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(kinds));
        sites = Set.copyOf(sites);
    }

    /** Every site of the run. */
    public static Keep all() {
        return new Keep(EnumSet.allOf(Site.Kind.class), Set.of());
    }

    /** Only the logits. */
    public static Keep logitsOnly() {
        return new Keep(EnumSet.of(Site.Kind.LOGITS), Set.of());
    }

    /** These kinds at every layer (plus the logits). */
    public static Keep kinds(Site.Kind... kinds) {
        return new Keep(EnumSet.copyOf(Arrays.asList(kinds)), Set.of());
    }

    /** These sites (plus the logits). */
    public static Keep sites(Site... sites) {
        return new Keep(Set.of(), new HashSet<>(Arrays.asList(sites)));
    }

    /** Everything either keeps. */
    public Keep and(Keep other) {
        Set<Site.Kind> k = EnumSet.noneOf(Site.Kind.class);
        k.addAll(kinds);
        k.addAll(other.kinds);
        Set<Site> s = new HashSet<>(sites);
        s.addAll(other.sites);
        return new Keep(k, s);
    }

    /** Whether a run with this selection records {@code site}. */
    public boolean keeps(Site site) {
        return site.kind() == Site.Kind.LOGITS || kinds.contains(site.kind()) || sites.contains(site);
    }
}
