/* threads.c: the process's one thread count and its GEMM (threads.h). */
#include "hecaton/threads.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static int g_threads; /* 0 until first asked */

int hc_threads(void) {
  if (!g_threads) {
    int n = openblas_get_num_threads();
    g_threads = n > 0 ? n : 1;
    openblas_set_num_threads(1); /* from now on every thread is ours */
  }
  return g_threads;
}

int hc_threads_set(int n) {
  hc_threads();
  g_threads = n > 0 ? n : 1;
  return g_threads;
}

void hc_sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, float alpha,
              const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
  int nt = hc_threads();
  if (nt > M / 16) nt = M / 16;
  if (nt <= 1 || (double)M * N * K < HC_PAR_MIN_MACS) {
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
#ifdef _OPENMP
    int i = omp_get_thread_num(), n = omp_get_num_threads();
#else
    int i = 0, n = 1;
#endif
    /* rows [r0, r1), multiples of 16 but the last */
    int blocks = (M + 15) / 16;
    int r0 = blocks * i / n * 16, r1 = i + 1 == n ? M : blocks * (i + 1) / n * 16;
    if (r1 > r0) {
      const float *Ai = ta == CblasNoTrans ? A + (size_t)r0 * lda : A + r0;
      cblas_sgemm(CblasRowMajor, ta, tb, r1 - r0, N, K, alpha, Ai, lda, B, ldb, beta,
                  C + (size_t)r0 * ldc, ldc);
    }
  }
}
