/* matmul_naive.c: the linear layer as triple loops with double
 * accumulators, kept as the oracle of the cblas path (tests only; far too
 * slow for training). Same contracts as hc_matmul_forward/backward. */
#include "hecaton/kernels.h"

void hc_matmul_forward_naive(float *out, const float *inp, const float *weight, int N,
                             int n_in, int n_out) {
  size_t I = (size_t)n_in, O = (size_t)n_out;
  for (size_t n = 0; n < (size_t)N; n++)
    for (size_t o = 0; o < O; o++) {
      double acc = 0.0;
      for (size_t i = 0; i < I; i++) acc += (double)inp[n * I + i] * weight[o * I + i];
      out[n * O + o] = (float)acc;
    }
}

void hc_matmul_backward_naive(float *dinp, float *dweight, const float *dout,
                              const float *inp, const float *weight, int N, int n_in,
                              int n_out) {
  size_t I = (size_t)n_in, O = (size_t)n_out, NN = (size_t)N;
  if (dinp)
    for (size_t n = 0; n < NN; n++)
      for (size_t i = 0; i < I; i++) {
        double acc = 0.0;
        for (size_t o = 0; o < O; o++) acc += (double)dout[n * O + o] * weight[o * I + i];
        dinp[n * I + i] += (float)acc;
      }
  if (dweight)
    for (size_t o = 0; o < O; o++)
      for (size_t i = 0; i < I; i++) {
        double acc = 0.0;
        for (size_t n = 0; n < NN; n++) acc += (double)dout[n * O + o] * inp[n * I + i];
        dweight[o * I + i] += (float)acc;
      }
}
