package io.github.vit4j.trace;

import io.github.vit4j.model.Site;
import java.util.Locale;

/** What a causal-trace sweep restores at each layer of the window. */
public enum SweepKind {
    /** The hidden state: the block's output {@code resid_post}. */
    RESID("resid", Site.Kind.RESID_POST),
    /** The attention output {@code attn_out} (what attention adds to the stream). */
    ATTN("attn", Site.Kind.ATTN_OUT),
    /** The MLP output {@code mlp_out}. */
    MLP("mlp", Site.Kind.MLP_OUT);

    private final String label;
    private final Site.Kind site;

    SweepKind(String label, Site.Kind site) {
        this.label = label;
        this.site = site;
    }

    /** The name used in files and on the command line: resid, attn, mlp. */
    public String label() {
        return label;
    }

    /** The site kind restored. */
    public Site.Kind site() {
        return site;
    }

    /** The kind named {@code label} (resid, attn or mlp). */
    public static SweepKind parse(String label) {
        for (SweepKind k : values()) {
            if (k.label.equals(label.trim().toLowerCase(Locale.ROOT))) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown kind '" + label + "'; expected resid, attn or mlp");
    }
}
