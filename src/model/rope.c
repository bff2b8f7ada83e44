/* rope.c: rotary position embedding on adjacent pairs (2k, 2k+1) of each
 * head, as Meta's reference (view_as_complex over the last dim, pairs of
 * neighbours) and llama2.c do. Angles are computed in double and rounded
 * once: position * frequency loses digits in fp32 at long context. */
#include <math.h>

#include "hecaton/kernels.h"
#include "hecaton/profile.h"

/* Rotate every pair of x by +angle (dir = 1) or -angle (dir = -1), adding
 * into out (accumulate = 1) or writing it. */
static void rotate(float *out, const float *x, int b, int s, int n_heads, int head_dim,
                   double theta, int dir, int accumulate) {
  size_t S = (size_t)s, NH = (size_t)n_heads, D = (size_t)head_dim;
  size_t T = (size_t)b * S, width = NH * D;
  double t0 = hc_prof_start();
  for (size_t t = 0; t < T; t++) {
    double pos = (double)(t % S);
    for (size_t k = 0; k < D / 2; k++) {
      double freq = pow(theta, -(double)(2 * k) / (double)head_dim);
      double a = pos * freq;
      float c = (float)cos(a), sn = (float)(dir * sin(a));
      for (size_t hh = 0; hh < NH; hh++) {
        size_t i = t * width + hh * D + 2 * k;
        float x0 = x[i], x1 = x[i + 1];
        float y0 = x0 * c - x1 * sn, y1 = x0 * sn + x1 * c;
        if (accumulate) out[i] += y0, out[i + 1] += y1;
        else out[i] = y0, out[i + 1] = y1;
      }
    }
  }
  hc_prof_stop(HC_PROF_ROPE, t0);
}

void hc_rope_forward(float *out, const float *x, int b, int s, int n_heads, int head_dim,
                     double theta) {
  rotate(out, x, b, s, n_heads, head_dim, theta, 1, 0);
}

/* out = R x with R orthogonal, so dx = R^T dout: the inverse rotation. */
void hc_rope_backward(float *dx, const float *dout, int b, int s, int n_heads, int head_dim,
                      double theta) {
  rotate(dx, dout, b, s, n_heads, head_dim, theta, -1, 1);
}
