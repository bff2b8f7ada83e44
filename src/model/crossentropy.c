/* crossentropy.c: softmax cross-entropy over the vocabulary, with the
 * logits gradient computed in the same pass (the probabilities are never
 * stored: V can be 128256). */
#include <math.h>

#include "hecaton/kernels.h"
#include "hecaton/profile.h"
#include "hecaton/util.h"

/* L = scale sum_t (lse_t - z_t[y_t]), so dL/dz_t = scale (softmax(z_t) - onehot(y_t)). */
float hc_crossentropy_forward_backward(float *dlogits, const float *logits, const int *targets,
                                       int T, int V, float scale) {
  size_t VV = (size_t)V;
  double loss = 0.0; /* a scalar: summing in double costs nothing */
  double t0 = hc_prof_start();
  for (size_t t = 0; t < (size_t)T; t++) {
    const float *z = logits + t * VV;
    int y = targets[t];
    HC_ASSERT(y >= 0 && y < V);
    float maxv = -INFINITY;
    for (size_t c = 0; c < VV; c++)
      if (z[c] > maxv) maxv = z[c];
    float sum = 0.0f;
    for (size_t c = 0; c < VV; c++) sum += expf(z[c] - maxv);
    float lse = maxv + logf(sum);
    loss += (double)(lse - z[y]);
    if (dlogits) {
      float *dz = dlogits + t * VV;
      for (size_t c = 0; c < VV; c++) dz[c] = scale * expf(z[c] - lse);
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
  for (size_t t = 0; t < (size_t)T; t++) {
    const float *z = logits + t * VV;
    float m = -INFINITY;
    for (size_t c = 0; c < VV; c++) m = z[c] > m ? z[c] : m;
    mx[t] = m;
    int y = targets[t] - v0;
    tgt[t] = (y >= 0 && y < Vl) ? z[y] : 0.0f;
  }
}

void hc_xent_local_sumexp(float *se, const float *logits, const float *mx, int T, int Vl) {
  size_t VV = (size_t)Vl;
  for (size_t t = 0; t < (size_t)T; t++) {
    const float *z = logits + t * VV;
    float sum = 0.0f;
    for (size_t c = 0; c < VV; c++) sum += expf(z[c] - mx[t]);
    se[t] = sum;
  }
}

float hc_xent_finish(float *dlogits, const float *logits, const float *mx, const float *se,
                     const float *tgt, const int *targets, int T, int Vl, int v0, float scale) {
  size_t VV = (size_t)Vl;
  double loss = 0.0;
  for (size_t t = 0; t < (size_t)T; t++) {
    float lse = mx[t] + logf(se[t]);
    loss += (double)(lse - tgt[t]);
    if (!dlogits) continue;
    const float *z = logits + t * VV;
    float *dz = dlogits + t * VV;
    for (size_t c = 0; c < VV; c++) dz[c] = scale * expf(z[c] - lse);
    int y = targets[t] - v0;
    if (y >= 0 && y < Vl) dz[y] -= scale;
  }
  return (float)(scale * loss);
}
