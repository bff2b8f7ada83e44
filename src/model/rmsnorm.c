/* rmsnorm.c: RMSNorm with a learned gain, no bias (Llama).
 *
 * Written in phases so that a caller holding only some features of each
 * token (the Hecaton L1 layout) can sum over its features, all-reduce the
 * sums across the chiplets that hold the rest, and finish: the one-process
 * forms below are the same phases with nothing in between.
 *
 * Tokens are split over hc_threads() threads; the gain's gradient, a sum
 * over tokens, is split over features instead, so that every value is
 * summed in the same order whatever the thread count. Sums over a row use
 * eight partial sums (vectorised). */
#include <math.h>
#include <stddef.h>

#include <string.h>

#include "hecaton/kernels.h"
#include "hecaton/profile.h"
#include "hecaton/threads.h"
#include "vmath.h"

#define NT(n) num_threads(nt) if (nt > 1 && (size_t)(n) >= HC_PAR_MIN_ELEMS) schedule(static)

/* sum_c a_c b_c c_c (c NULL: sum_c a_c b_c), eight lanes then their sum.
 * Written with vector extensions: gcc left the eight accumulators scalar
 * (7 ms a step of small at 1 thread for this and the norms' other rows). */
typedef float v8f __attribute__((vector_size(32)));
HC_VEC_CLONES static float dot3(const float *a, const float *b, const float *c, size_t n) {
  v8f acc = {0}, va, vb, vc;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    memcpy(&va, a + i, sizeof va), memcpy(&vb, b + i, sizeof vb);
    if (c) {
      memcpy(&vc, c + i, sizeof vc);
      acc += va * vb * vc;
    } else {
      acc += va * vb;
    }
  }
  float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; i++) sum += a[i] * b[i] * (c ? c[i] : 1.0f);
  return sum;
}

static void rmsnorm_sumsq(float *ss, const float *x, int T, int hl) {
  size_t H = (size_t)hl;
  int nt = hc_threads();
#pragma omp parallel for NT((size_t)T * H)
  for (long t = 0; t < (long)T; t++) ss[t] = dot3(x + (size_t)t * H, x + (size_t)t * H, NULL, H);
}

static void rmsnorm_apply(float *out, float *rstd, const float *x, const float *g, int T, int hl,
                          int h, float eps) {
  size_t H = (size_t)hl;
  int nt = hc_threads();
#pragma omp parallel for NT((size_t)T * H)
  for (long t = 0; t < (long)T; t++) {
    float r = 1.0f / sqrtf(rstd[t] / (float)h + eps);
    rstd[t] = r;
    const float *xt = x + (size_t)t * H;
    float *ot = out + (size_t)t * H;
    for (size_t c = 0; c < H; c++) ot[c] = xt[c] * r * g[c];
  }
}

static void rmsnorm_dot(float *dot, const float *dout, const float *x, const float *g, int T,
                        int hl) {
  size_t H = (size_t)hl;
  int nt = hc_threads();
#pragma omp parallel for NT((size_t)T * H)
  for (long t = 0; t < (long)T; t++)
    dot[t] = dot3(dout + (size_t)t * H, g, x + (size_t)t * H, H);
}

/* y_c = g_c x_c r with r = (sum_k x_k^2 / h + eps)^(-1/2), dr/dx_k = -r^3 x_k / h:
 *   dx_k = r g_k dy_k - (r^3 / h) x_k sum_c(dy_c g_c x_c),  dg_c = sum_t dy_c x_c r.
 * One token's row: dx +=, dg += (dg NULL: not wanted). */
HC_VEC_CLONES static void backward_row(float *dxt, float *dg, const float *dy, const float *xt,
                                       const float *g, float r, float dot, size_t H, int h) {
  float k = r * r * r * dot / (float)h;
  for (size_t c = 0; c < H; c++) dxt[c] += r * g[c] * dy[c] - k * xt[c];
  if (dg)
    for (size_t c = 0; c < H; c++) dg[c] += dy[c] * xt[c] * r;
}

/* With threads, tokens are split for dx and features for dg (each dg_c
 * summed over tokens in order, as the one-pass form does). */
static void rmsnorm_backward_apply(float *dx, float *dg, const float *dout, const float *rstd,
                                   const float *dot, const float *x, const float *g, int T,
                                   int hl, int h) {
  size_t H = (size_t)hl;
  int nt = hc_threads();
  if (nt == 1 || (size_t)T * H < HC_PAR_MIN_ELEMS) { /* one pass: dx and dg together */
    for (size_t t = 0; t < (size_t)T; t++)
      backward_row(dx + t * H, dg, dout + t * H, x + t * H, g, rstd[t], dot[t], H, h);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
#pragma omp for schedule(static)
    for (long t = 0; t < (long)T; t++) {
      float r = rstd[t], k = r * r * r * dot[t] / (float)h;
      const float *dy = dout + (size_t)t * H, *xt = x + (size_t)t * H;
      float *dxt = dx + (size_t)t * H;
      for (size_t c = 0; c < H; c++) dxt[c] += r * g[c] * dy[c] - k * xt[c];
    }
    /* dg: features split over the threads, tokens in order within each. */
    if (dg) {
#pragma omp for schedule(static)
      for (long cb = 0; cb < (long)((H + 63) / 64); cb++) {
        size_t c0 = (size_t)cb * 64, c1 = c0 + 64 < H ? c0 + 64 : H;
        for (size_t t = 0; t < (size_t)T; t++) {
          float r = rstd[t];
          const float *dy = dout + t * H, *xt = x + t * H;
          for (size_t c = c0; c < c1; c++) dg[c] += dy[c] * xt[c] * r;
        }
      }
    }
  }
}

/* ---- the public kernels: the above, timed (profile.h) ---------------------- */

void hc_rmsnorm_sumsq(float *ss, const float *x, int T, int hl) {
  double t0 = hc_prof_start();
  rmsnorm_sumsq(ss, x, T, hl);
  hc_prof_stop(HC_PROF_RMSNORM, t0);
}

void hc_rmsnorm_apply(float *out, float *rstd, const float *x, const float *g, int T, int hl,
                      int h, float eps) {
  double t0 = hc_prof_start();
  rmsnorm_apply(out, rstd, x, g, T, hl, h, eps);
  hc_prof_stop(HC_PROF_RMSNORM, t0);
}

void hc_rmsnorm_forward(float *out, float *rstd, const float *x, const float *g, int T, int h,
                        float eps) {
  double t0 = hc_prof_start();
  rmsnorm_sumsq(rstd, x, T, h);
  rmsnorm_apply(out, rstd, x, g, T, h, h, eps);
  hc_prof_stop(HC_PROF_RMSNORM, t0);
}

void hc_rmsnorm_dot(float *dot, const float *dout, const float *x, const float *g, int T,
                    int hl) {
  double t0 = hc_prof_start();
  rmsnorm_dot(dot, dout, x, g, T, hl);
  hc_prof_stop(HC_PROF_RMSNORM, t0);
}

void hc_rmsnorm_backward_apply(float *dx, float *dg, const float *dout, const float *rstd,
                               const float *dot, const float *x, const float *g, int T, int hl,
                               int h) {
  double t0 = hc_prof_start();
  rmsnorm_backward_apply(dx, dg, dout, rstd, dot, x, g, T, hl, h);
  hc_prof_stop(HC_PROF_RMSNORM, t0);
}

/* The whole-row backward: the dots of a chunk of tokens into a small stack
 * buffer, then the apply phase on that chunk (no allocation). */
void hc_rmsnorm_backward(float *dx, float *dg, const float *dout, const float *rstd,
                         const float *x, const float *g, int T, int h) {
  double t0 = hc_prof_start();
  size_t H = (size_t)h;
  enum { CHUNK = 1024 };
  float dot[CHUNK];
  for (int t = 0; t < T; t += CHUNK) {
    int n = T - t < CHUNK ? T - t : CHUNK;
    size_t o = (size_t)t * H;
    rmsnorm_dot(dot, dout + o, x + o, g, n, h);
    rmsnorm_backward_apply(dx + o, dg, dout + o, rstd + t, dot, x + o, g, n, h, h);
  }
  hc_prof_stop(HC_PROF_RMSNORM, t0);
}
