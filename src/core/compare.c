/* compare.c: element-wise comparison naming the worst element. */
#include "hecaton/compare.h"

#include <math.h>
#include <stdio.h>

hc_cmp hc_compare(const float *got, const float *want, size_t n, double atol, double rtol) {
  return hc_compare_allow(got, want, n, atol, rtol, NULL);
}

hc_cmp hc_compare_allow(const float *got, const float *want, size_t n, double atol, double rtol,
                        const float *allow) {
  hc_cmp c = {0};
  double worst_ratio = -1;
  for (size_t k = 0; k < n; k++) {
    double g = got[k], w = want[k], d = fabs(g - w);
    double rel = d / (fabs(w) > 0 ? fabs(w) : 1.0);
    double bound = atol + rtol * fabs(w) + (allow ? allow[k] : 0.0);
    /* NaN anywhere is the worst possible element. */
    double ratio = isnan(d) ? INFINITY : (bound > 0 ? d / bound : (d > 0 ? INFINITY : 0));
    if (isnan(d) || d > bound) c.nbad++;
    if (d > c.max_abs || isnan(d)) c.max_abs = isnan(d) ? NAN : d;
    if (rel > c.max_rel) c.max_rel = rel;
    if (ratio > worst_ratio) worst_ratio = ratio, c.worst = k, c.got = g, c.want = w;
  }
  return c;
}

const char *hc_cmp_describe(const hc_cmp *c, const char *tensor, double atol, double rtol,
                            char *buf, size_t len) {
  snprintf(buf, len,
           "%s: %zu element(s) off; worst [%zu]: got %.9g want %.9g (max abs err %.3g, "
           "max rel err %.3g; atol %.3g rtol %.3g)",
           tensor, c->nbad, c->worst, c->got, c->want, c->max_abs, c->max_rel, atol, rtol);
  return buf;
}
