/* swiglu.c: the gated activation of the Llama FFN, silu(w1 x) * (w3 x). */
#include <math.h>

#include "hecaton/kernels.h"
#include "hecaton/profile.h"

void hc_swiglu_forward(float *out, const float *gate, const float *up, size_t n) {
  double t0 = hc_prof_start();
  for (size_t i = 0; i < n; i++) {
    float g = gate[i];
    out[i] = g / (1.0f + expf(-g)) * up[i];
  }
  hc_prof_stop(HC_PROF_SWIGLU, t0);
}

/* silu(g) = g sig(g), silu'(g) = sig(g) (1 + g (1 - sig(g))). */
void hc_swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                        const float *up, size_t n) {
  double t0 = hc_prof_start();
  for (size_t i = 0; i < n; i++) {
    float g = gate[i], sig = 1.0f / (1.0f + expf(-g));
    dgate[i] += dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
    dup[i] += dout[i] * g * sig;
  }
  hc_prof_stop(HC_PROF_SWIGLU, t0);
}
