/* matmul.c: the linear layer without bias through cblas_sgemm (hc_sgemm:
 * split over the process's threads). Weights are
 * (n_out, n_in) row-major, PyTorch's layout, so the forward is X W^T. */
#include <cblas.h>

#include "hecaton/kernels.h"
#include "hecaton/profile.h"
#include "hecaton/threads.h"

void hc_matmul_forward(float *out, const float *inp, const float *weight, int N, int n_in,
                       int n_out) {
  /* out (N, n_out) = inp (N, n_in) . weight^T (n_in, n_out) */
  double t0 = hc_prof_start();
  hc_sgemm(CblasNoTrans, CblasTrans, N, n_out, n_in, 1.0f, inp, n_in,
              weight, n_in, 0.0f, out, n_out);
  hc_prof_stop(HC_PROF_GEMM, t0);
}

void hc_matmul_forward_acc(float *out, const float *inp, const float *weight, int N, int n_in,
                           int n_out) {
  double t0 = hc_prof_start();
  hc_sgemm(CblasNoTrans, CblasTrans, N, n_out, n_in, 1.0f, inp, n_in,
              weight, n_in, 1.0f, out, n_out);
  hc_prof_stop(HC_PROF_GEMM, t0);
}

/* Y = X W^T: dX = dY W, dW = dY^T X; beta = 1 makes both accumulate. */
void hc_matmul_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                        const float *weight, int N, int n_in, int n_out) {
  double t0 = hc_prof_start();
  if (dinp)
    hc_sgemm(CblasNoTrans, CblasNoTrans, N, n_in, n_out, 1.0f, dout, n_out,
                weight, n_in, 1.0f, dinp, n_in);
  if (dweight)
    hc_sgemm(CblasTrans, CblasNoTrans, n_out, n_in, N, 1.0f, dout, n_out,
                inp, n_in, 1.0f, dweight, n_in);
  hc_prof_stop(HC_PROF_GEMM, t0);
}
