# shellcheck shell=bash
# The environment ND4J's native code reads when it loads: source this before starting Java (the vit launcher and
# .ci/run do; so should a JMH run). Values already set are kept. Why each one: docs/performance.md.
#   OMP_WAIT_POLICY=PASSIVE  OpenMP threads sleep instead of spin-waiting against OpenBLAS's
#   OMP_NUM_THREADS          the number of cores
#   OPENBLAS_THREAD_TIMEOUT  4: OpenBLAS's idle thread sleeps soon instead of spinning after every GEMM
#   OPENBLAS_CORETYPE        SKYLAKEX (OpenBLAS's AVX-512 kernels) on a CPU with AVX-512 where OpenBLAS 0.3.19, the
#                            one in ND4J 1.0.0-M2.1, would run slower ones: when the variable is unset on AMD (it
#                            gives Zen 4 its AVX2 kernels and takes Zen 5 for a 2007 "Barcelona": SSE, ≈ 75
#                            GFLOP/s here), or when it names an AVX2 kernel set (Haswell, Zen: the usual workaround,
#                            ≈ 150). SkylakeX ran ViT-B/16's GEMMs at 226–370 GFLOP/s on this project's machine.
#                            Any other value is kept; so is any value if VIT4J_KEEP_OPENBLAS_CORETYPE=1.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc 2>/dev/null || echo 2)}"
export OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}"
if [[ "${VIT4J_KEEP_OPENBLAS_CORETYPE:-}" != 1 && -r /proc/cpuinfo ]]; then
  _vit4j_flags=" $(grep -m1 '^flags' /proc/cpuinfo || true) "
  _vit4j_vendor="$(grep -m1 '^vendor_id' /proc/cpuinfo || true)"
  if [[ "$_vit4j_flags" == *" avx512f "* && "$_vit4j_flags" == *" avx512cd "* && "$_vit4j_flags" == *" avx512bw "* \
        && "$_vit4j_flags" == *" avx512dq "* && "$_vit4j_flags" == *" avx512vl "* ]]; then
    case "${OPENBLAS_CORETYPE:-}" in
      "")
        if [[ "$_vit4j_vendor" == *AuthenticAMD* ]]; then
          export OPENBLAS_CORETYPE=SKYLAKEX
        fi
        ;;
      [Hh][Aa][Ss][Ww][Ee][Ll][Ll] | [Zz][Ee][Nn]) export OPENBLAS_CORETYPE=SKYLAKEX ;;
    esac
  fi
  unset _vit4j_flags _vit4j_vendor
fi
