# shellcheck shell=bash
# The environment ND4J's native code reads when it loads: source this before starting Java (the vit launcher and
# .ci/run do; so should a JMH run). Values already set are kept. Why each one: docs/performance.md.
#   OMP_WAIT_POLICY=PASSIVE  OpenMP threads sleep instead of spin-waiting against OpenBLAS's
#   OMP_NUM_THREADS          the number of cores
#   OPENBLAS_THREAD_TIMEOUT  4: OpenBLAS's idle thread sleeps soon instead of spinning after every GEMM
#   OPENBLAS_CORETYPE        SKYLAKEX on CPUs with AVX-512 when it is unset or names an AVX2 kernel set (Haswell,
#                            Zen): ND4J's OpenBLAS 0.3.19 takes an AMD Zen 4/5 for a 2007 "Barcelona" (SSE kernels,
#                            ≈ 75 GFLOP/s here), and the common workaround Haswell gets AVX2 (≈ 150); SkylakeX's
#                            AVX-512 kernels ran ViT-B/16's GEMMs at 250–370 GFLOP/s on this project's machine.
#                            Any other value set beforehand is kept.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc 2>/dev/null || echo 2)}"
export OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}"
case "${OPENBLAS_CORETYPE:-}" in
  "" | [Hh][Aa][Ss][Ww][Ee][Ll][Ll] | [Zz][Ee][Nn])
    if [[ -r /proc/cpuinfo ]]; then
      _vit4j_flags=" $(grep -m1 '^flags' /proc/cpuinfo) "
      if [[ "$_vit4j_flags" == *" avx512f "* && "$_vit4j_flags" == *" avx512cd "* && "$_vit4j_flags" == *" avx512bw "* \
            && "$_vit4j_flags" == *" avx512dq "* && "$_vit4j_flags" == *" avx512vl "* ]]; then
        export OPENBLAS_CORETYPE=SKYLAKEX
      fi
      unset _vit4j_flags
    fi
    ;;
esac
