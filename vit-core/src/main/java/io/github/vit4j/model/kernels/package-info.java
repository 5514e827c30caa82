/**
 * The kernels: the arithmetic of the forward and backward passes of {@code io.github.vit4j.model}, behind one seam
 * ({@link io.github.vit4j.model.kernels.Ops}). Three kernel sets compute the same values, one file each:
 *
 * <table>
 *   <caption>The kernel sets</caption>
 *   <tr><th>{@link io.github.vit4j.model.kernels.KernelSet}</th><th>file</th><th>what it is</th>
 *       <th>when it is used</th></tr>
 *   <tr><td>{@code PLAIN}</td><td>{@code PlainOps.java}</td><td>ND4J's own operations, one per step, every result
 *       a new array, nothing reused: each operation as its definition reads</td><td>by {@code ReferenceForward}
 *       (and its backward) unless told otherwise; by {@code Vit} on a backend other than the CPU one (CUDA); the
 *       reference the other two are tested against</td></tr>
 *   <tr><td>{@code ONEDNN}</td><td>{@code OneDnnOps.java} (primitives in {@code OneDnn.java})</td><td>oneDNN's
 *       primitives: products on weights packed once, LayerNorm, softmax, GELU, adds</td><td>by {@code Vit} on the
 *       CPU backend where oneDNN's natives load (x86-64 Linux, Windows and Intel Macs, ARM64 Linux)</td></tr>
 *   <tr><td>{@code OPENBLAS}</td><td>{@code OpenBlasOps.java} (loops in {@code CpuKernels.java})</td><td>ND4J's
 *       OpenBLAS GEMMs and plain-Java elementwise loops over the arrays' memory, split across the cores</td>
 *       <td>by {@code Vit} on the CPU backend where oneDNN does not load (macOS on Apple silicon)</td></tr>
 * </table>
 *
 * <p>The choice is made in one place, {@link io.github.vit4j.model.kernels.KernelSet}: a model is given a kernel
 * set ({@code new Vit(weights, KernelSet.OPENBLAS)}), or takes {@code KernelSet.configured()}, the one reader of the
 * system property {@code -Dvit4j.kernels=onednn|openblas|plain}.
 *
 * <p>The rest of the package serves the two CPU sets: {@code CpuOps.java} is what they share (the head split and
 * merge, the embeddings, the backward's elementwise steps, in Java), {@code HostMemory.java} their access to the
 * arrays' memory (per-thread scratch, the parallel-for), {@code SiteMemory.java} the recycled memory of their site
 * arrays. {@link io.github.vit4j.model.kernels.NativeEnvironment} prepares the environment ND4J's natives read when
 * they load (OpenBLAS's kernel choice, idle threads), and {@code OpenBlasCoreType.java} says when OpenBLAS would run
 * slower kernels than the CPU has.
 *
 * <p>Public here: {@code KernelSet} (what users name), {@code NativeEnvironment}, and {@code Ops}, whose methods only
 * the model package calls.
 */
package io.github.vit4j.model.kernels;
