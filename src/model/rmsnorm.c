/* rmsnorm.c: RMSNorm with a learned gain, no bias (Llama). */
#include <math.h>

#include "hecaton/kernels.h"

void hc_rmsnorm_forward(float *out, float *rstd, const float *x, const float *g, int T, int h,
                        float eps) {
  size_t H = (size_t)h;
  for (size_t t = 0; t < (size_t)T; t++) {
    const float *xt = x + t * H;
    float ss = 0.0f;
    for (size_t c = 0; c < H; c++) ss += xt[c] * xt[c];
    float r = 1.0f / sqrtf(ss / (float)h + eps);
    rstd[t] = r;
    float *ot = out + t * H;
    for (size_t c = 0; c < H; c++) ot[c] = xt[c] * r * g[c];
  }
}

/* y_c = g_c x_c r with r = (sum_k x_k^2 / h + eps)^(-1/2), dr/dx_k = -r^3 x_k / h:
 *   dx_k = r g_k dy_k - (r^3 / h) x_k sum_c(dy_c g_c x_c),  dg_c = sum_t dy_c x_c r. */
void hc_rmsnorm_backward(float *dx, float *dg, const float *dout, const float *rstd,
                         const float *x, const float *g, int T, int h) {
  size_t H = (size_t)h;
  for (size_t t = 0; t < (size_t)T; t++) {
    const float *xt = x + t * H, *dy = dout + t * H;
    float r = rstd[t], dot = 0.0f;
    for (size_t c = 0; c < H; c++) dot += dy[c] * g[c] * xt[c];
    float k = r * r * r * dot / (float)h;
    float *dxt = dx + t * H;
    for (size_t c = 0; c < H; c++) {
      dxt[c] += r * g[c] * dy[c] - k * xt[c];
      dg[c] += dy[c] * xt[c] * r;
    }
  }
}
