/* threads.h: one thread count for the whole process, and one pool. The
 * count is OPENBLAS_NUM_THREADS as OpenBLAS read it at start-up (or the
 * last hc_threads_set); OpenBLAS itself is then held at one thread and the
 * kernels split their work over that many OpenMP threads, GEMMs included
 * (hc_sgemm). Two pools on few cores fight: OpenBLAS's idle threads spin
 * for a long while after each call, taking the cores the elementwise
 * kernels' threads need. A rank told to use one thread (every
 * oversubscribed mesh run) starts no thread at all. */
#ifndef HECATON_THREADS_H
#define HECATON_THREADS_H

#include <cblas.h>

/* Below these sizes a kernel runs on the calling thread: waking a second
 * thread and joining it costs more than it saves (and much more when the
 * machine is shared and a woken thread waits for a core). Elements for the
 * elementwise and row kernels, multiply-adds for GEMMs and attention. */
#define HC_PAR_MIN_ELEMS 1048576
#define HC_PAR_MIN_MACS 16777216.0

/* On x86-64, a function marked HC_VEC_CLONES is compiled three times, for
 * AVX-512, for AVX2 and for the baseline (SSE2), and the loader picks one
 * for the CPU (target_clones, gcc and clang >= 14): the loops of exp and
 * row sums run 16 or 8 wide where they can (small, 1 thread: SwiGLU 33 ->
 * 19 ms a step with the AVX-512 clone). No FMA in any (-ffp-contract=off,
 * CMakeLists.txt; the sums keep their written order): the three give the
 * same bits. */
#if defined(__x86_64__) && (defined(__clang__) ? __clang_major__ >= 14 : defined(__GNUC__))
#define HC_VEC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HC_VEC_CLONES
#endif

/* Threads the kernels use now. */
int hc_threads(void);
/* Use n threads from now on (n >= 1); returns n. */
int hc_threads_set(int n);

/* C = alpha op(A) op(B) + beta C (row-major, as cblas_sgemm), the rows of C
 * in one block per thread, each one one-thread cblas_sgemm. Each block
 * packs the whole of op(B), so fewer blocks pack it fewer times: one per
 * thread ran small's GEMMs at 2 threads at 173-180 GFLOP/s against 100-168
 * with four per thread handed out as threads came free (and a step of
 * small 923-1124 ms against 945-1187, pair by pair). Small products run on
 * the calling thread. */
void hc_sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha,
              const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);

#endif
