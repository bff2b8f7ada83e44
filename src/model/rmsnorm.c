/* rmsnorm.c: RMSNorm with a learned gain, no bias (Llama).
 *
 * Written in phases so that a caller holding only some features of each
 * token (the Hecaton L1 layout) can sum over its features, all-reduce the
 * sums across the chiplets that hold the rest, and finish: the one-process
 * forms below are the same phases with nothing in between. */
#include <math.h>
#include <stddef.h>

#include "hecaton/kernels.h"
#include "hecaton/profile.h"

static void rmsnorm_sumsq(float *ss, const float *x, int T, int hl) {
  size_t H = (size_t)hl;
  for (size_t t = 0; t < (size_t)T; t++) {
    const float *xt = x + t * H;
    float acc = 0.0f;
    for (size_t c = 0; c < H; c++) acc += xt[c] * xt[c];
    ss[t] = acc;
  }
}

static void rmsnorm_apply(float *out, float *rstd, const float *x, const float *g, int T, int hl,
                      int h, float eps) {
  size_t H = (size_t)hl;
  for (size_t t = 0; t < (size_t)T; t++) {
    float r = 1.0f / sqrtf(rstd[t] / (float)h + eps);
    rstd[t] = r;
    const float *xt = x + t * H;
    float *ot = out + t * H;
    for (size_t c = 0; c < H; c++) ot[c] = xt[c] * r * g[c];
  }
}

static void rmsnorm_forward(float *out, float *rstd, const float *x, const float *g, int T, int h,
                        float eps) {
  rmsnorm_sumsq(rstd, x, T, h);
  rmsnorm_apply(out, rstd, x, g, T, h, h, eps);
}

static void rmsnorm_dot(float *dot, const float *dout, const float *x, const float *g, int T,
                    int hl) {
  size_t H = (size_t)hl;
  for (size_t t = 0; t < (size_t)T; t++) {
    const float *xt = x + t * H, *dy = dout + t * H;
    float acc = 0.0f;
    for (size_t c = 0; c < H; c++) acc += dy[c] * g[c] * xt[c];
    dot[t] = acc;
  }
}

/* y_c = g_c x_c r with r = (sum_k x_k^2 / h + eps)^(-1/2), dr/dx_k = -r^3 x_k / h:
 *   dx_k = r g_k dy_k - (r^3 / h) x_k sum_c(dy_c g_c x_c),  dg_c = sum_t dy_c x_c r. */
static void backward_row(float *dxt, float *dg, const float *dy, const float *xt,
                         const float *g, float r, float dot, size_t H, int h) {
  float k = r * r * r * dot / (float)h;
  for (size_t c = 0; c < H; c++) {
    dxt[c] += r * g[c] * dy[c] - k * xt[c];
    dg[c] += dy[c] * xt[c] * r;
  }
}

static void rmsnorm_backward_apply(float *dx, float *dg, const float *dout, const float *rstd,
                               const float *dot, const float *x, const float *g, int T, int hl,
                               int h) {
  size_t H = (size_t)hl;
  for (size_t t = 0; t < (size_t)T; t++)
    backward_row(dx + t * H, dg, dout + t * H, x + t * H, g, rstd[t], dot[t], H, h);
}

static void rmsnorm_backward(float *dx, float *dg, const float *dout, const float *rstd,
                         const float *x, const float *g, int T, int h) {
  size_t H = (size_t)h;
  for (size_t t = 0; t < (size_t)T; t++) {
    float dot;
    rmsnorm_dot(&dot, dout + t * H, x + t * H, g, 1, h);
    backward_row(dx + t * H, dg, dout + t * H, x + t * H, g, rstd[t], dot, H, h);
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
  rmsnorm_forward(out, rstd, x, g, T, h, eps);
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

void hc_rmsnorm_backward(float *dx, float *dg, const float *dout, const float *rstd,
                         const float *x, const float *g, int T, int h) {
  double t0 = hc_prof_start();
  rmsnorm_backward(dx, dg, dout, rstd, x, g, T, h);
  hc_prof_stop(HC_PROF_RMSNORM, t0);
}
