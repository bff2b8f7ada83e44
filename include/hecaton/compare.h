/* compare.h: the one tensor comparison of the project (tests, gradient
 * checks). An element passes when |got - want| <= atol + rtol * |want|; the
 * worst element is the one that misses that bound by the largest factor. */
#ifndef HECATON_COMPARE_H
#define HECATON_COMPARE_H

#include <stddef.h>

typedef struct {
  double max_abs, max_rel; /* over all elements */
  size_t worst;            /* index of the worst element */
  double got, want;        /* its two values */
  size_t nbad;             /* elements outside the bound (NaN counts) */
} hc_cmp;

hc_cmp hc_compare(const float *got, const float *want, size_t n, double atol, double rtol);
/* The same with a per-element allowance added to the bound (NULL: none). */
hc_cmp hc_compare_allow(const float *got, const float *want, size_t n, double atol, double rtol,
                        const float *allow);
/* "tensor: 3 of 128 elements off; worst [17]: got 1.5 want 1.25 (abs 0.25,
 * rel 0.2; atol 1e-6 rtol 1e-5)". */
const char *hc_cmp_describe(const hc_cmp *c, const char *tensor, double atol, double rtol,
                            char *buf, size_t len);

#endif
