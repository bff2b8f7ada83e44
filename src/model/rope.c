/* rope.c: rotary position embedding on adjacent pairs (2k, 2k+1) of each
 * head, as Meta's reference (view_as_complex over the last dim, pairs of
 * neighbours) and llama2.c do. Angles are computed in double and rounded
 * once: position * frequency loses digits in fp32 at long context. The
 * cos/sin of every (position, pair) are computed once per (s, head_dim,
 * theta) and kept: a step then does no transcendental call. */
#include <math.h>
#include <stdlib.h>

#include "hecaton/kernels.h"
#include "hecaton/profile.h"
#include "hecaton/threads.h"
#include "hecaton/util.h"

/* cos, sin of position p and pair k at cs[(p * D/2 + k) * 2 + {0, 1}]. One
 * table for the process: every caller of a run has the same s, d and theta
 * (a new shape rebuilds it; the kernels are called by one thread). */
static struct {
  int s, d;
  double theta;
  float *cs;
} g_table;

static const float *table(int s, int head_dim, double theta) {
  if (g_table.cs && g_table.s == s && g_table.d == head_dim && g_table.theta == theta)
    return g_table.cs;
  size_t half = (size_t)head_dim / 2;
  free(g_table.cs);
  g_table.cs = hc_malloc((size_t)s * half * 2 * sizeof(float));
  g_table.s = s, g_table.d = head_dim, g_table.theta = theta;
  for (size_t k = 0; k < half; k++) {
    double freq = pow(theta, -(double)(2 * k) / (double)head_dim);
    for (size_t p = 0; p < (size_t)s; p++) {
      double a = (double)p * freq;
      g_table.cs[(p * half + k) * 2] = (float)cos(a);
      g_table.cs[(p * half + k) * 2 + 1] = (float)sin(a);
    }
  }
  return g_table.cs;
}

/* Rotate every pair of x by +angle (dir = 1) or -angle (dir = -1), adding
 * into out (accumulate = 1) or writing it. */
static void rotate(float *out, const float *x, int b, int s, int n_heads, int head_dim,
                   double theta, float dir, int accumulate) {
  size_t S = (size_t)s, NH = (size_t)n_heads, D = (size_t)head_dim, half = D / 2;
  size_t width = NH * D;
  long T = (long)b * s;
  double t0 = hc_prof_start();
  const float *cs = table(s, head_dim, theta);
  int nt = hc_threads();
#pragma omp parallel for num_threads(nt) if (nt > 1 && (size_t)T * width >= HC_PAR_MIN_ELEMS) schedule(static)
  for (long t = 0; t < T; t++) {
    const float *ct = cs + ((size_t)t % S) * half * 2;
    for (size_t hh = 0; hh < NH; hh++) {
      size_t i0 = (size_t)t * width + hh * D;
      const float *xi = x + i0;
      float *oi = out + i0;
      for (size_t k = 0; k < half; k++) {
        float c = ct[2 * k], sn = dir * ct[2 * k + 1];
        float x0 = xi[2 * k], x1 = xi[2 * k + 1];
        float y0 = x0 * c - x1 * sn, y1 = x0 * sn + x1 * c;
        if (accumulate) oi[2 * k] += y0, oi[2 * k + 1] += y1;
        else oi[2 * k] = y0, oi[2 * k + 1] = y1;
      }
    }
  }
  hc_prof_stop(HC_PROF_ROPE, t0);
}

void hc_rope_forward(float *out, const float *x, int b, int s, int n_heads, int head_dim,
                     double theta) {
  rotate(out, x, b, s, n_heads, head_dim, theta, 1.0f, 0);
}

/* out = R x with R orthogonal, so dx = R^T dout: the inverse rotation. */
void hc_rope_backward(float *dx, const float *dout, int b, int s, int n_heads, int head_dim,
                      double theta) {
  rotate(dx, dout, b, s, n_heads, head_dim, theta, -1.0f, 1);
}
