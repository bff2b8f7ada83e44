/* embedding.c: token embedding lookup and its scatter-add backward. */
#include <string.h>

#include "hecaton/kernels.h"
#include "hecaton/profile.h"
#include "hecaton/util.h"

void hc_embedding_forward(float *out, const int *tokens, const float *wte, int T, int h,
                          int v0, int nv) {
  size_t H = (size_t)h;
  double t0 = hc_prof_start();
  for (size_t t = 0; t < (size_t)T; t++) {
    int id = tokens[t];
    HC_ASSERT(id >= 0);
    float *o = out + t * H;
    if (id >= v0 && id < v0 + nv) memcpy(o, wte + (size_t)(id - v0) * H, H * sizeof(float));
    else memset(o, 0, H * sizeof(float));
  }
  hc_prof_stop(HC_PROF_EMBED, t0);
}

void hc_embedding_backward(float *dwte, const float *dout, const int *tokens, int T, int h,
                           int v0, int nv) {
  size_t H = (size_t)h;
  double t0 = hc_prof_start();
  for (size_t t = 0; t < (size_t)T; t++) {
    int id = tokens[t];
    if (id < v0 || id >= v0 + nv) continue;
    float *dw = dwte + (size_t)(id - v0) * H;
    const float *d = dout + t * H;
    for (size_t c = 0; c < H; c++) dw[c] += d[c];
  }
  hc_prof_stop(HC_PROF_EMBED, t0);
}
