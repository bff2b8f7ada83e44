/* swiglu.c: the gated activation of the Llama FFN, silu(w1 x) * (w3 x).
 * Elementwise, vectorised (vmath.h) and split over hc_threads() threads:
 * each element is computed alike whatever the thread count. */
#include "hecaton/kernels.h"
#include "hecaton/profile.h"
#include "hecaton/threads.h"
#include "vmath.h"

/* Below this many elements a second thread costs more than it saves. */
#define PAR_MIN 32768

void hc_swiglu_forward(float *out, const float *gate, const float *up, size_t n) {
  double t0 = hc_prof_start();
  int nt = hc_threads();
  long N = (long)n;
#pragma omp parallel for num_threads(nt) if (nt > 1 && n >= PAR_MIN) schedule(static)
  for (long i = 0; i < N; i++) {
    float g = gate[i];
    out[i] = g / (1.0f + hc_vexpf(-g)) * up[i];
  }
  hc_prof_stop(HC_PROF_SWIGLU, t0);
}

/* silu(g) = g sig(g), silu'(g) = sig(g) (1 + g (1 - sig(g))). */
void hc_swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                        const float *up, size_t n) {
  double t0 = hc_prof_start();
  int nt = hc_threads();
  long N = (long)n;
#pragma omp parallel for num_threads(nt) if (nt > 1 && n >= PAR_MIN) schedule(static)
  for (long i = 0; i < N; i++) {
    float g = gate[i], sig = 1.0f / (1.0f + hc_vexpf(-g));
    dgate[i] += dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
    dup[i] += dout[i] * g * sig;
  }
  hc_prof_stop(HC_PROF_SWIGLU, t0);
}
