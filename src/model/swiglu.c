/* swiglu.c: the gated activation of the Llama FFN, silu(w1 x) * (w3 x).
 * Elementwise, vectorised (vmath.h) and split over hc_threads() threads in
 * chunks: each element is computed alike whatever the thread count. */
#include "hecaton/kernels.h"
#include "hecaton/profile.h"
#include "hecaton/threads.h"
#include "vmath.h"

enum { CHUNK = 8192 }; /* elements per task */

HC_VEC_CLONES static void forward_range(float *out, const float *gate, const float *up,
                                        size_t i0, size_t i1) {
  for (size_t i = i0; i < i1; i++) {
    float g = gate[i];
    out[i] = g / (1.0f + hc_vexpf(-g)) * up[i];
  }
}

/* silu(g) = g sig(g), silu'(g) = sig(g) (1 + g (1 - sig(g))). */
HC_VEC_CLONES static void backward_range(float *dgate, float *dup, const float *dout,
                                         const float *gate, const float *up, size_t i0,
                                         size_t i1) {
  for (size_t i = i0; i < i1; i++) {
    float g = gate[i], sig = 1.0f / (1.0f + hc_vexpf(-g));
    dgate[i] = dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
    dup[i] = dout[i] * g * sig;
  }
}

void hc_swiglu_forward(float *out, const float *gate, const float *up, size_t n) {
  double t0 = hc_prof_start();
  int nt = hc_threads();
  long chunks = (long)((n + CHUNK - 1) / CHUNK);
#pragma omp parallel for num_threads(nt) if (nt > 1 && n >= HC_PAR_MIN_ELEMS) schedule(static)
  for (long c = 0; c < chunks; c++) {
    size_t i0 = (size_t)c * CHUNK, i1 = i0 + CHUNK < n ? i0 + CHUNK : n;
    forward_range(out, gate, up, i0, i1);
  }
  hc_prof_stop(HC_PROF_SWIGLU, t0);
}

void hc_swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                        const float *up, size_t n) {
  double t0 = hc_prof_start();
  int nt = hc_threads();
  long chunks = (long)((n + CHUNK - 1) / CHUNK);
#pragma omp parallel for num_threads(nt) if (nt > 1 && n >= HC_PAR_MIN_ELEMS) schedule(static)
  for (long c = 0; c < chunks; c++) {
    size_t i0 = (size_t)c * CHUNK, i1 = i0 + CHUNK < n ? i0 + CHUNK : n;
    backward_range(dgate, dup, dout, gate, up, i0, i1);
  }
  hc_prof_stop(HC_PROF_SWIGLU, t0);
}
