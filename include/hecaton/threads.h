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

/* Threads the kernels use now. */
int hc_threads(void);
/* Use n threads from now on (n >= 1); returns n. */
int hc_threads_set(int n);

/* C = alpha op(A) op(B) + beta C (row-major, as cblas_sgemm), the rows of C
 * split over hc_threads() threads in blocks of whole rows, each block one
 * one-thread cblas_sgemm. Small products run on the calling thread. */
void hc_sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha,
              const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);

#endif
