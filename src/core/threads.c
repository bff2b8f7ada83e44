/* threads.c: the process's one thread count and its GEMM (threads.h). */
#include "hecaton/threads.h"

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
  int blocks = nt, rows = (M + blocks - 1) / blocks;
  rows = (rows + 15) / 16 * 16; /* whole 16-row panels, at least 64 rows */
  if (rows < 64) rows = 64;
  blocks = (M + rows - 1) / rows;
  if (nt <= 1 || blocks <= 1 || (double)M * N * K < HC_PAR_MIN_MACS) {
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
  for (int blk = 0; blk < blocks; blk++) {
    int r0 = blk * rows, r1 = r0 + rows < M ? r0 + rows : M;
    const float *Ab = ta == CblasNoTrans ? A + (size_t)r0 * lda : A + r0;
    cblas_sgemm(CblasRowMajor, ta, tb, r1 - r0, N, K, alpha, Ab, lda, B, ldb, beta,
                C + (size_t)r0 * ldc, ldc);
  }
}
