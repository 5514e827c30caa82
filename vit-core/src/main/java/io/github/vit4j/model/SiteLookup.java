package io.github.vit4j.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Where a forward pass looks a site up as it produces it: the substituted array if any, else the produced one, kept
 * if asked. The reference's plain {@code ReferenceForward.Run} and the fast path's {@link FastRun} (which also frees
 * what it no longer needs) are the two; the steps both passes share ({@code ReferenceForward.head}) take either.
 */
interface SiteLookup {

    /** The array the run uses at {@code site}: the substituted one if any, else {@code produced}. */
    INDArray site(Site site, INDArray produced);
}
