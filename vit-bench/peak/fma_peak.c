/*
 * FP32 FMA peak of this machine: independent vfmadd231ps chains in registers, no memory traffic.
 *
 *   gcc -O2 -mavx512f -fopenmp -o fma_peak vit-bench/peak/fma_peak.c
 *   ./fma_peak            # 256- and 512-bit FMAs, 1 thread and every thread OpenMP gives (OMP_NUM_THREADS)
 *
 * Each thread runs CHAINS independent accumulators (ymm/zmm 0..CHAINS-1, each `acc = acc * a + b`) in an
 * inline-asm loop of ITERS iterations; an FMA's latency (4 cycles on Zen 4/5) times the FMA ports (2) is 8 chains in
 * flight, so 12 keeps both ports busy. FLOP = threads * ITERS * CHAINS * lanes * 2. Each configuration is timed
 * REPS times (wall clock around a parallel region that starts together); the best and the median are printed.
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
#define ITERS 200000000L
#define REPS 7

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

#define FMA12(R)                                                                                            \
    "vfmadd231ps %%" R "13, %%" R "12, %%" R "0\n\t"                                                         \
    "vfmadd231ps %%" R "13, %%" R "12, %%" R "1\n\t"                                                         \
    "vfmadd231ps %%" R "13, %%" R "12, %%" R "2\n\t"                                                         \
    "vfmadd231ps %%" R "13, %%" R "12, %%" R "3\n\t"                                                         \
    "vfmadd231ps %%" R "13, %%" R "12, %%" R "4\n\t"                                                         \
    "vfmadd231ps %%" R "13, %%" R "12, %%" R "5\n\t"                                                         \
    "vfmadd231ps %%" R "13, %%" R "12, %%" R "6\n\t"                                                         \
    "vfmadd231ps %%" R "13, %%" R "12, %%" R "7\n\t"                                                         \
    "vfmadd231ps %%" R "13, %%" R "12, %%" R "8\n\t"                                                         \
    "vfmadd231ps %%" R "13, %%" R "12, %%" R "9\n\t"                                                         \
    "vfmadd231ps %%" R "13, %%" R "12, %%" R "10\n\t"                                                        \
    "vfmadd231ps %%" R "13, %%" R "12, %%" R "11\n\t"

/* a = 1, b = 0 would be optimised by nothing (asm), but keep the values finite: acc = acc * 1 + 0. */
static void chains256(long iters) {
    __asm__ volatile(
        "vxorps %%ymm0, %%ymm0, %%ymm0\n\t" "vmovaps %%ymm0, %%ymm1\n\t" "vmovaps %%ymm0, %%ymm2\n\t"
        "vmovaps %%ymm0, %%ymm3\n\t" "vmovaps %%ymm0, %%ymm4\n\t" "vmovaps %%ymm0, %%ymm5\n\t"
        "vmovaps %%ymm0, %%ymm6\n\t" "vmovaps %%ymm0, %%ymm7\n\t" "vmovaps %%ymm0, %%ymm8\n\t"
        "vmovaps %%ymm0, %%ymm9\n\t" "vmovaps %%ymm0, %%ymm10\n\t" "vmovaps %%ymm0, %%ymm11\n\t"
        "vmovaps %%ymm0, %%ymm12\n\t" "vmovaps %%ymm0, %%ymm13\n\t"
        "1:\n\t" FMA12("ymm") "dec %0\n\t" "jnz 1b\n\t"
        : "+r"(iters)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
          "xmm12", "xmm13", "cc");
}

static void chains512(long iters) {
    __asm__ volatile(
        "vxorps %%zmm0, %%zmm0, %%zmm0\n\t" "vmovaps %%zmm0, %%zmm1\n\t" "vmovaps %%zmm0, %%zmm2\n\t"
        "vmovaps %%zmm0, %%zmm3\n\t" "vmovaps %%zmm0, %%zmm4\n\t" "vmovaps %%zmm0, %%zmm5\n\t"
        "vmovaps %%zmm0, %%zmm6\n\t" "vmovaps %%zmm0, %%zmm7\n\t" "vmovaps %%zmm0, %%zmm8\n\t"
        "vmovaps %%zmm0, %%zmm9\n\t" "vmovaps %%zmm0, %%zmm10\n\t" "vmovaps %%zmm0, %%zmm11\n\t"
        "vmovaps %%zmm0, %%zmm12\n\t" "vmovaps %%zmm0, %%zmm13\n\t"
        "1:\n\t" FMA12("zmm") "dec %0\n\t" "jnz 1b\n\t"
        "vzeroupper\n\t"
        : "+r"(iters)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
          "xmm12", "xmm13", "cc");
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static void run(int bits, int threads, long iters) {
    double gflops[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
#pragma omp parallel num_threads(threads)
        {
            if (bits == 512) chains512(iters); else chains256(iters);
        }
        double t = now() - t0;
        gflops[r] = (double) threads * iters * CHAINS * (bits / 32) * 2 / t / 1e9;
    }
    qsort(gflops, REPS, sizeof gflops[0], cmp);
    printf("{\"bits\": %d, \"threads\": %d, \"chains\": %d, \"iters\": %ld, \"reps\": %d, "
           "\"best_gflops\": %.1f, \"median_gflops\": %.1f, \"worst_gflops\": %.1f, "
           "\"best_gflops_per_thread\": %.1f}\n",
           bits, threads, CHAINS, iters, REPS, gflops[REPS - 1], gflops[REPS / 2], gflops[0],
           gflops[REPS - 1] / threads);
    fflush(stdout);
}

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : ITERS;
    int maxThreads = omp_get_max_threads();
    for (int bits = 256; bits <= 512; bits += 256) {
        run(bits, 1, iters);
        if (maxThreads > 1) run(bits, maxThreads, iters);
    }
    return 0;
}
