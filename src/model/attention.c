/* attention.c: causal grouped-query attention on whole sequences.
 *
 * Per (sequence, query head) the scores S = Q K^T / sqrt(d) of its s
 * queries against the s keys of its KV head are one sgemm (the masked upper
 * triangle is computed and discarded: BLAS is far faster than loops over
 * the lower half), then a causal softmax, then O = P V. Backward recomputes
 * P from the saved log-sum-exp, or reads the P that forward kept (probs).
 * Q, K, V rows of a head are strided views
 * (leading dimension = the full row width), so no copies are made. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>

#include "hecaton/kernels.h"
#include "hecaton/util.h"

/* P[t][u] = exp(S[t][u] * scale - lse_t) for u <= t, 0 above the diagonal;
 * with lse NULL, computes lse into lse_out (the forward's softmax). */
static void causal_softmax(float *P, int s, float scale, const float *lse, float *lse_out) {
  for (int t = 0; t < s; t++) {
    float *row = P + (size_t)t * s;
    float l;
    if (lse) {
      l = lse[t];
    } else {
      float maxv = -INFINITY;
      for (int u = 0; u <= t; u++) maxv = fmaxf(maxv, row[u] * scale);
      float sum = 0.0f;
      for (int u = 0; u <= t; u++) sum += expf(row[u] * scale - maxv);
      l = maxv + logf(sum);
      lse_out[t] = l;
    }
    for (int u = 0; u <= t; u++) row[u] = expf(row[u] * scale - l);
    for (int u = t + 1; u < s; u++) row[u] = 0.0f;
  }
}

void hc_attention_forward(float *out, float *lse, float *probs, const float *q, const float *k,
                          const float *v, int b, int s, int n_heads, int n_kv_heads,
                          int head_dim) {
  HC_ASSERT(n_kv_heads > 0 && n_heads % n_kv_heads == 0);
  int D = head_dim, qw = n_heads * D, kvw = n_kv_heads * D, group = n_heads / n_kv_heads;
  float scale = 1.0f / sqrtf((float)D);
  float *scratch = probs ? NULL : hc_malloc((size_t)s * s * sizeof(float));
  for (int bi = 0; bi < b; bi++)
    for (int hq = 0; hq < n_heads; hq++) {
      int hk = hq / group;
      float *P = probs ? probs + ((size_t)bi * n_heads + hq) * s * s : scratch;
      const float *Q = q + (size_t)bi * s * qw + (size_t)hq * D;
      const float *K = k + (size_t)bi * s * kvw + (size_t)hk * D;
      const float *V = v + (size_t)bi * s * kvw + (size_t)hk * D;
      float *O = out + (size_t)bi * s * qw + (size_t)hq * D;
      /* P = Q K^T (s x s), softmax in place, O = P V (s x D) */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s, s, D, 1.0f, Q, qw, K, kvw, 0.0f,
                  P, s);
      causal_softmax(P, s, scale, NULL, lse + ((size_t)bi * n_heads + hq) * s);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, D, s, 1.0f, P, s, V, kvw, 0.0f,
                  O, qw);
    }
  free(scratch);
}

/* With dP = dO V^T, the softmax Jacobian gives dS = P o (dP - rowsum(P o dP));
 * then dQ = scale dS K, dK += scale dS^T Q, dV += P^T dO (dK, dV summed over
 * the query heads of a group through the accumulating sgemms). */
void hc_attention_backward(float *dq, float *dk, float *dv, const float *dout,
                           const float *lse, const float *probs, const float *q, const float *k,
                           const float *v, int b, int s, int n_heads, int n_kv_heads,
                           int head_dim) {
  HC_ASSERT(n_kv_heads > 0 && n_heads % n_kv_heads == 0);
  int D = head_dim, qw = n_heads * D, kvw = n_kv_heads * D, group = n_heads / n_kv_heads;
  float scale = 1.0f / sqrtf((float)D);
  float *scratch = probs ? NULL : hc_malloc((size_t)s * s * sizeof(float));
  float *dP = hc_malloc((size_t)s * s * sizeof(float));
  for (int bi = 0; bi < b; bi++)
    for (int hq = 0; hq < n_heads; hq++) {
      int hk = hq / group;
      size_t qo = (size_t)bi * s * qw + (size_t)hq * D, ko = (size_t)bi * s * kvw + (size_t)hk * D;
      const float *P = scratch;
      if (probs) {
        P = probs + ((size_t)bi * n_heads + hq) * s * s;
      } else { /* recompute: the forward's sgemm and exp, with its lse */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s, s, D, 1.0f, q + qo, qw, k + ko,
                    kvw, 0.0f, scratch, s);
        causal_softmax(scratch, s, scale, lse + ((size_t)bi * n_heads + hq) * s, NULL);
      }
      /* dV += P^T dO */
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s, D, s, 1.0f, P, s, dout + qo, qw,
                  1.0f, dv + ko, kvw);
      /* dP = dO V^T, then dS (scaled) in place */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s, s, D, 1.0f, dout + qo, qw, v + ko,
                  kvw, 0.0f, dP, s);
      for (int t = 0; t < s; t++) {
        const float *pr = P + (size_t)t * s;
        float *dr = dP + (size_t)t * s, pdp = 0.0f;
        for (int u = 0; u <= t; u++) pdp += pr[u] * dr[u];
        for (int u = 0; u <= t; u++) dr[u] = pr[u] * (dr[u] - pdp) * scale;
        for (int u = t + 1; u < s; u++) dr[u] = 0.0f;
      }
      /* dQ += dS K, dK += dS^T Q */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s, D, s, 1.0f, dP, s, k + ko, kvw,
                  1.0f, dq + qo, qw);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s, D, s, 1.0f, dP, s, q + qo, qw, 1.0f,
                  dk + ko, kvw);
    }
  free(scratch);
  free(dP);
}
