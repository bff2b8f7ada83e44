/* lora.c: a block of a LoRA-adapted linear (lora.h), through cblas_sgemm
 * on strided views of the whole adapters. */
#include "hecaton/lora.h"

#include <cblas.h>
#include <string.h>

void hc_lora_merge(float *wm, const float *w, const float *A, const float *B, const hc_tensor *x,
                   int rank, float s) {
  int nr = (int)x->nr, nc = (int)x->nc;
  if (wm != w) memcpy(wm, w, x->numel * sizeof(float));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nr, nc, rank, s, B, rank, A, nc, 1.0f,
              wm, nc);
}

void hc_lora_backward(float *dA, float *dB, const float *dwm, const float *A, const float *B,
                      const hc_tensor *x, int rank, float s) {
  int nr = (int)x->nr, nc = (int)x->nc;
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, rank, nc, nr, s, B, rank, dwm, nc, 1.0f, dA,
              nc);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, rank, nc, s, dwm, nc, A, nc, 1.0f, dB,
              rank);
}

double hc_lora_merge_flops(const hc_tensor *x, int rank) {
  return (2.0 * rank + 1.0) * (double)x->numel;
}

double hc_lora_backward_flops(const hc_tensor *x, int rank) {
  return 4.0 * rank * (double)x->numel;
}

void hc_lora_wgrad(const hc_lora_call *c, const float *dy, const float *x, int T, int nin, int nout) {
  int r = c->rank;
  /* tmp = X A_blk^T (T x r); dB_blk += s dY^T tmp */
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, r, nin, 1.0f, x, nin, c->A, nin, 0.0f,
              c->tmp, r);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nout, r, T, c->scale, dy, nout, c->tmp, r,
              1.0f, c->dB, r);
  /* tmp = dY B_blk (T x r); dA_blk += s tmp^T X */
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, r, nout, 1.0f, dy, nout, c->B, r, 0.0f,
              c->tmp, r);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r, nin, T, c->scale, c->tmp, r, x, nin, 1.0f,
              c->dA, nin);
}

double hc_lora_wgrad_flops(double T, double nin, double nout, int rank) {
  return 4.0 * T * rank * (nin + nout);
}
