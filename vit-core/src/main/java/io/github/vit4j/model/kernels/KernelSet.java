package io.github.vit4j.model.kernels;

import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The three sets of kernels a model can run on, and the one place where the one used when none is named is chosen
 * ({@link #configured()}). All three compute the same values (the fast sets are held equal to {@link #PLAIN} at
 * every site, within 1e-4, by {@code OpsEquivalenceTest}); they differ in speed and in where they run.
 *
 * <p>{@code ReferenceForward} runs on {@link #PLAIN} unless given another; {@code Vit} on the one given to its
 * constructor, else on {@link #configured()}.
 */
public enum KernelSet {

    /**
     * oneDNN's primitives ({@code OneDnnOps}): every product with its weights packed once, LayerNorm, softmax, GELU
     * and the residual adds; the fastest on x86-64 and ARM64 Linux, Windows and Intel Macs. CPU backend only.
     */
    ONEDNN,
    /**
     * OpenBLAS's GEMMs through ND4J with the elementwise work in plain-Java loops over the arrays' memory, split across
     * the cores ({@code OpenBlasOps}): where oneDNN has no natives (macOS on Apple silicon). CPU backend only.
     */
    OPENBLAS,
    /**
     * ND4J's own operations, one call per step, every result a new array and nothing reused ({@code PlainOps}): the
     * reference the others are tested against, and the set for any backend other than the CPU one (CUDA).
     */
    PLAIN;

    /**
     * System property naming the kernel set used when none is given: {@code onednn}, {@code openblas} or
     * {@code plain} ({@code cpu}, the fastest CPU set, and {@code portable}, i.e. plain, are still read).
     */
    public static final String PROPERTY = "vit4j.kernels";
    /** Older system property: {@code false} means {@link #OPENBLAS} where {@link #PROPERTY} is unset or {@code cpu}. */
    static final String ONEDNN_PROPERTY = "vit4j.onednn";

    /**
     * The kernel set of a model built without one: what {@code -Dvit4j.kernels} (or {@code -Dvit4j.onednn=false})
     * names, else the fastest this machine runs: {@link #ONEDNN} where its natives load, else {@link #OPENBLAS}, on
     * ND4J's CPU backend; {@link #PLAIN} on any other (CUDA), whose arrays the CPU kernels cannot read.
     *
     * @throws IllegalArgumentException for a property naming no kernel set
     */
    public static KernelSet configured() {
        return configured(System.getProperty(PROPERTY), System.getProperty(ONEDNN_PROPERTY),
                Nd4j.getEnvironment().isCPU(), OneDnn::available);
    }

    /** {@link #configured()} for the given property values, backend and oneDNN's availability (asked only if needed). */
    static KernelSet configured(String kernels, String oneDnn, boolean cpuBackend,
                                BooleanSupplier oneDnnLoads) {
        String name = kernels == null ? "" : kernels.trim().toLowerCase(Locale.ROOT);
        return switch (name) {
            case "onednn" -> ONEDNN;
            case "openblas" -> OPENBLAS;
            case "plain", "portable" -> PLAIN;
            case "" -> !cpuBackend ? PLAIN : fastestCpu(oneDnn, oneDnnLoads);
            case "cpu" -> fastestCpu(oneDnn, oneDnnLoads);
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + kernels + " is not a kernel set; use"
                    + " onednn (oneDNN's primitives), openblas (OpenBLAS's GEMMs and plain-Java elementwise loops) or"
                    + " plain (ND4J's operations only, for CUDA), or leave it unset for the fastest this machine runs");
        };
    }

    private static KernelSet fastestCpu(String oneDnn, BooleanSupplier oneDnnLoads) {
        String setting = oneDnn == null ? "true" : oneDnn.trim().toLowerCase(Locale.ROOT);
        if (!setting.equals("true") && !setting.equals("false")) {
            throw new IllegalArgumentException("-D" + ONEDNN_PROPERTY + "=" + oneDnn + " is not a boolean; use true"
                    + " (oneDNN's kernels where its natives load, the default) or false (OpenBLAS's), or -D" + PROPERTY
                    + "=onednn|openblas|plain");
        }
        return setting.equals("true") && oneDnnLoads.getAsBoolean() ? ONEDNN : OPENBLAS;
    }

    /**
     * Whether this set runs here: {@link #ONEDNN} where its natives load on ND4J's CPU backend, {@link #OPENBLAS} on
     * the CPU backend, {@link #PLAIN} everywhere.
     */
    public boolean runsHere() {
        return switch (this) {
            case ONEDNN -> Nd4j.getEnvironment().isCPU() && OneDnn.available();
            case OPENBLAS -> Nd4j.getEnvironment().isCPU();
            case PLAIN -> true;
        };
    }

    /**
     * This set's kernels, for the model package's forward and backward passes (not part of vit4j's API: see
     * {@link Ops}).
     *
     * @throws IllegalArgumentException where this set does not run ({@link #runsHere()})
     */
    public Ops ops() {
        if (!runsHere()) {
            throw new IllegalArgumentException("the " + this + " kernels do not run here ("
                    + (Nd4j.getEnvironment().isCPU() ? "oneDNN's natives did not load on this platform"
                    : "they read host memory and ND4J runs on another backend") + "); name another set, or"
                    + " none (KernelSet.configured(): the fastest that runs here) with -D" + PROPERTY + " unset or"
                    + " changed, or KernelSet.PLAIN");
        }
        if (this != ONEDNN) {                          // OpenBLAS does the products: which of its kernels runs matters
            OpenBlasCoreType.adviseOnce();
        }
        return switch (this) {
            case ONEDNN -> OneDnnOps.INSTANCE;
            case OPENBLAS -> OpenBlasOps.INSTANCE;
            case PLAIN -> PlainOps.INSTANCE;
        };
    }
}
