/* profile.c: the per-kernel wall-time table (profile.h). */
#include "hecaton/profile.h"

int hc_prof_enabled = 0;

static double g_seconds[HC_PROF_N];
static long g_calls[HC_PROF_N];

void hc_prof_add(hc_prof_kind k, double seconds) {
  g_seconds[k] += seconds;
  g_calls[k]++;
}

void hc_prof_reset(void) {
  for (int k = 0; k < HC_PROF_N; k++) g_seconds[k] = 0, g_calls[k] = 0;
}

double hc_prof_seconds(hc_prof_kind k, long *calls) {
  if (calls) *calls = g_calls[k];
  return g_seconds[k];
}

const char *hc_prof_name(hc_prof_kind k) {
  static const char *const names[HC_PROF_N] = {
      [HC_PROF_GEMM] = "GEMM (linear, LM head)", [HC_PROF_ATTN_GEMM] = "attention GEMMs",
      [HC_PROF_SOFTMAX] = "softmax (fwd+bwd)",   [HC_PROF_RMSNORM] = "RMSNorm",
      [HC_PROF_ROPE] = "RoPE",                   [HC_PROF_SWIGLU] = "SwiGLU",
      [HC_PROF_XENT] = "cross-entropy",          [HC_PROF_EMBED] = "embedding",
      [HC_PROF_ADAMW] = "AdamW",                 [HC_PROF_GRADNORM] = "gradient norm",
      [HC_PROF_COPIES] = "copies, zeroing, adds"};
  return names[k];
}
