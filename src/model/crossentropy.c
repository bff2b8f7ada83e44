/* crossentropy.c: softmax cross-entropy over the vocabulary, with the
 * logits gradient computed in the same pass (the probabilities are never
 * stored: V can be 128256). Tokens are split over hc_threads() threads;
 * exp is vmath.h's, vectorised. */
#include <math.h>

#include "hecaton/kernels.h"
#include "hecaton/profile.h"
#include "hecaton/threads.h"
#include "hecaton/util.h"
#include "vmath.h"

#define NT(n) num_threads(nt) if (nt > 1 && (size_t)(n) >= HC_PAR_MIN_ELEMS) schedule(static)

HC_VEC_CLONES static float row_max(const float *z, size_t n) {
  float m = -INFINITY;
  for (size_t c = 0; c < n; c++) m = z[c] > m ? z[c] : m;
  return m;
}

/* sum_c exp(z_c - shift), writing each term to e when e is not NULL. */
HC_VEC_CLONES static float row_sumexp(float *e, const float *z, float shift, size_t n) {
  float acc[8] = {0};
  size_t c = 0;
  for (; c + 8 <= n; c += 8)
    for (int j = 0; j < 8; j++) {
      float v = hc_vexpf(z[c + j] - shift);
      if (e) e[c + j] = v;
      acc[j] += v;
    }
  float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; c < n; c++) {
    float v = hc_vexpf(z[c] - shift);
    if (e) e[c] = v;
    sum += v;
  }
  return sum;
}

/* L = scale sum_t (lse_t - z_t[y_t]), so dL/dz_t = scale (softmax(z_t) - onehot(y_t)). */
float hc_crossentropy_forward_backward(float *dlogits, const float *logits, const int *targets,
                                       int T, int V, float scale) {
  size_t VV = (size_t)V;
  double loss = 0.0; /* a scalar: summing in double costs nothing */
  double t0 = hc_prof_start();
  int nt = hc_threads();
  for (int t = 0; t < T; t++) HC_ASSERT(targets[t] >= 0 && targets[t] < V);
#pragma omp parallel for NT((size_t)T * VV) reduction(+ : loss)
  for (long t = 0; t < (long)T; t++) {
    const float *z = logits + (size_t)t * VV;
    int y = targets[t];
    float maxv = row_max(z, VV);
    float *dz = dlogits ? dlogits + (size_t)t * VV : NULL;
    float sum = row_sumexp(dz, z, maxv, VV); /* dz holds exp(z - max) for now */
    loss += (double)(maxv + logf(sum) - z[y]);
    if (dz) {
      float k = scale / sum;
      for (size_t c = 0; c < VV; c++) dz[c] *= k;
      dz[y] -= scale;
    }
  }
  hc_prof_stop(HC_PROF_XENT, t0);
  return (float)(scale * loss);
}

/* ---- vocabulary-parallel phases ---------------------------------------- */

void hc_xent_local_stats(float *mx, float *tgt, const float *logits, const int *targets, int T,
                         int Vl, int v0) {
  size_t VV = (size_t)Vl;
  double t0 = hc_prof_start();
  int nt = hc_threads();
#pragma omp parallel for NT((size_t)T * VV)
  for (long t = 0; t < (long)T; t++) {
    const float *z = logits + (size_t)t * VV;
    mx[t] = row_max(z, VV);
    int y = targets[t] - v0;
    tgt[t] = (y >= 0 && y < Vl) ? z[y] : 0.0f;
  }
  hc_prof_stop(HC_PROF_XENT, t0);
}

void hc_xent_local_sumexp(float *se, const float *logits, const float *mx, int T, int Vl) {
  size_t VV = (size_t)Vl;
  double t0 = hc_prof_start();
  int nt = hc_threads();
#pragma omp parallel for NT((size_t)T * VV)
  for (long t = 0; t < (long)T; t++) se[t] = row_sumexp(NULL, logits + (size_t)t * VV, mx[t], VV);
  hc_prof_stop(HC_PROF_XENT, t0);
}

float hc_xent_finish(float *dlogits, const float *logits, const float *mx, const float *se,
                     const float *tgt, const int *targets, int T, int Vl, int v0, float scale) {
  size_t VV = (size_t)Vl;
  double loss = 0.0;
  double t0 = hc_prof_start();
  for (int t = 0; t < T; t++) loss += (double)(mx[t] + logf(se[t]) - tgt[t]);
  if (dlogits) {
    int nt = hc_threads();
#pragma omp parallel for NT((size_t)T * VV)
    for (long t = 0; t < (long)T; t++) {
      float lse = mx[t] + logf(se[t]);
      const float *z = logits + (size_t)t * VV;
      float *dz = dlogits + (size_t)t * VV;
      for (size_t c = 0; c < VV; c++) dz[c] = scale * hc_vexpf(z[c] - lse);
      int y = targets[t] - v0;
      if (y >= 0 && y < Vl) dz[y] -= scale;
    }
  }
  hc_prof_stop(HC_PROF_XENT, t0);
  return (float)(scale * loss);
}
