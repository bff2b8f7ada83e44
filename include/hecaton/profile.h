/* profile.h: an optional per-kernel wall-time table (`bench-train
 * --profile`). Off by default: each timed section then costs one load and
 * one untaken branch. The timers are leaves (no section encloses another),
 * so the rows add up to the time the kernels spent; a step's remainder is
 * what no timer covers. Process-wide state, not thread-safe: sections are
 * started and stopped by the thread that calls the kernel. */
#ifndef HECATON_PROFILE_H
#define HECATON_PROFILE_H

#include "hecaton/util.h"

typedef enum {
  HC_PROF_GEMM,      /* linear layers and the LM head (cblas_sgemm) */
  HC_PROF_ATTN_GEMM, /* attention's score and value sgemms */
  HC_PROF_SOFTMAX,   /* attention's causal softmax and its gradient */
  HC_PROF_RMSNORM,
  HC_PROF_ROPE,
  HC_PROF_SWIGLU,
  HC_PROF_XENT,      /* cross-entropy forward and backward */
  HC_PROF_EMBED,
  HC_PROF_ADAMW,
  HC_PROF_GRADNORM,  /* the global gradient norm */
  HC_PROF_COPIES,    /* zeroing, residual adds, packing */
  HC_PROF_N
} hc_prof_kind;

extern int hc_prof_enabled;

void hc_prof_add(hc_prof_kind k, double seconds);
void hc_prof_reset(void);
/* Seconds and calls accumulated under k since the last reset. */
double hc_prof_seconds(hc_prof_kind k, long *calls);
const char *hc_prof_name(hc_prof_kind k);

static inline double hc_prof_start(void) { return hc_prof_enabled ? hc_wtime() : 0.0; }
static inline void hc_prof_stop(hc_prof_kind k, double t0) {
  if (hc_prof_enabled) hc_prof_add(k, hc_wtime() - t0);
}

#endif
